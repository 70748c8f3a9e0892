from tests.core.files.helpers import catalog, migrated_catalog

__all__ = ["catalog", "migrated_catalog"]
