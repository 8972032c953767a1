"""The event store's adapters: SQLite and PostgreSQL recorders behind the port in `domain/store/`.

They live outside `domain/` because they import database drivers (psycopg), which the domain
never does. The application chooses one by topic from `CASETRACK_EVENT_STORE`
(`domain.store.config.StoreSettings.factory_topic`), so nothing in the domain imports them.
"""
