"""A faithful, in-process simulator of ActiveCampaign's segment count history API."""
