"""A typed client for ActiveCampaign's segment count history API."""

__all__: list[str] = []
