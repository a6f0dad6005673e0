"""Local fake servers that speak the documented protocols of remote services, for tests."""
