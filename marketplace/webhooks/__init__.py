"""Webhooks: an organisation's HTTPS endpoints get signed JSON deliveries when its events happen."""
