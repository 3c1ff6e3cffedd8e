"""Service layer and DynamoDB store behind the Chalice app (app.py only routes)."""
