"""The legacy v1 Leads API: the lead view, its rules and its HTTP face."""
