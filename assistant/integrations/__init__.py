"""Adapters that let other toolkits use the assistant (``langchain``: a retriever and an answer Runnable)."""
