from tests.freshdb import fresh_database_url, fresh_store

__all__ = ["fresh_database_url", "fresh_store"]
