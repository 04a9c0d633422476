"""outreach: publish approved public-service innovations to social media in plain Indonesian."""

__version__ = "0.1.0"
