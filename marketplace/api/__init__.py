"""JSON API v1: personal access tokens, problem details, OpenAPI, open contracting data."""
