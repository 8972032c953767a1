"""Builds the long-lived objects of a process from the configuration (the edge)."""

from __future__ import annotations

import threading

from api.config import Config, get_config
from consumers import leader


def make_application(config: Config | None = None):
    from domain.services import Casetrack

    config = config or get_config()
    return Casetrack(env=config.store_env())


_application = None
_application_lock = threading.Lock()


def application():
    """The process's one application (its connection pool is shared by requests).

    Built once under a lock: two threads racing here would each build one, and the one not
    kept closes its connection pool when garbage-collected, under any caller still holding
    only its `.store` (`application().store` keeps no reference to the application).
    """
    global _application
    if _application is None:
        with _application_lock:
            if _application is None:
                _application = make_application()
    return _application


def reset_application() -> None:
    """Forget the process's application (tests that change the configuration)."""
    global _application
    with _application_lock:
        _application = None


def relay_lock(app, config: Config, *, stop: threading.Event):
    settings = app.settings
    if settings.backend == "postgres":
        # One lock per store: stores in other schemas of the same database relay independently.
        return leader.advisory_lock(
            config.event_store.split("?")[0],
            f"casetrack-relay:{settings.postgres_schema}",
            stop=stop,
        )
    return leader.file_lock(settings.sqlite_path.with_suffix(".relay.lock"), stop=stop)


def make_read_models(config: Config | None = None):
    from search.client import make_client
    from search.indices import Names
    from search.store import ReadModels

    config = config or get_config()
    return ReadModels(
        make_client(config.es_url, timeout_s=30, ca_certs=config.es_ca_certs),
        Names(config.index_prefix),
    )


def make_projector(name: str, config: Config | None = None, **overrides):
    from consumers.kafka_driver import consumer_factory
    from consumers.projector import Projector
    from consumers.topics import Topics
    from projections import PROJECTIONS

    config = config or get_config()
    topics = Topics(config.topic_prefix)
    projection = PROJECTIONS[name]
    options = dict(
        projection=projection,
        read_models=make_read_models(config),
        bootstrap=config.kafka_bootstrap,
        topic=topics.access if projection.source == "access" else topics.events,
        dead_letter_topic=topics.dead_letters,
        group_id=f"{config.topic_prefix}.projector.{name}",
        partitions=config.partitions,
        consumer_factory=consumer_factory(config.kafka_driver),
    )
    options.update(overrides)
    return Projector(**options)


def make_notifier(config: Config | None = None, **overrides):
    from consumers.kafka_driver import consumer_factory
    from consumers.notify.consumer import Notifier
    from consumers.topics import Topics

    config = config or get_config()
    options = dict(
        app=application(),
        bootstrap=config.kafka_bootstrap,
        topic=Topics(config.topic_prefix).events,
        group_id=f"{config.topic_prefix}.notify",
        partitions=config.partitions,
        consumer_factory=consumer_factory(config.kafka_driver),
    )
    options.update(overrides)
    return Notifier(**options)


def make_channels(config: Config | None = None):
    """(e-mail channel, SMS provider) from the configuration."""
    from consumers.notify.email import EmailChannel
    from consumers.notify.sms import AliyunSms, LocalSmsToMailbox

    config = config or get_config()
    email = EmailChannel(
        config.smtp_url,
        sender=config.smtp_from,
        timeout_s=min(30.0, config.notify_send_timeout_s / 2),
        maildir=config.smtp_maildir or None,
    )
    if config.sms_provider == "aliyun":
        sms = AliyunSms(
            access_key_id=config.aliyun_access_key_id,
            access_key_secret=config.aliyun_access_key_secret,
        )
    else:
        sms = LocalSmsToMailbox(email)
    return email, sms


def make_dispatcher(config: Config | None = None, **overrides):
    from consumers.notify.dispatcher import Dispatcher

    config = config or get_config()
    email, sms = make_channels(config)
    options = dict(
        app=application(),
        email=email,
        sms=sms,
        sms_sign_name=config.sms_sign_name,
        send_timeout_s=config.notify_send_timeout_s,
    )
    options.update(overrides)
    return Dispatcher(**options)


def make_reminders(config: Config | None = None, read_models=None, **overrides):
    from consumers.notify.reminders import Reminders

    config = config or get_config()
    options = dict(
        app=application(),
        read_models=read_models or make_read_models(config),
        interval_s=config.notify_reminder_interval_s,
    )
    options.update(overrides)
    return Reminders(**options)
