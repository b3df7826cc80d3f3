"""leadhub: a self-hosted server that speaks HubSpot's Leads APIs."""

__version__ = "0.1.0"
