from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests (and the live server) flush the database between tests, taking
    the migrations' reference data with it; put the rating scale and groups back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"live_server", "transactional_db"} & set(request.fixturenames)
    )
    if transactional:
        if marker is None or not marker.kwargs.get("serialized_rollback"):
            # A plain flush recreates content types under new ids, and the next test that
            # restores the serialized snapshot then collides with them.
            pytest.fail(
                "Transactional tests must be marked "
                "django_db(transaction=True, serialized_rollback=True)."
            )
        from django.apps import apps

        from claims.reference import ensure_groups, ensure_rating_scale

        request.getfixturevalue("transactional_db")
        ensure_rating_scale(apps)
        ensure_groups(apps)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Personas get passwords; the production hasher takes most of a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Production serves a hashed manifest built by collectstatic; tests read the sources."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Unit tests run tasks in process; tests/integration/ starts a real worker instead."""
    from factcheck.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def reviewer(db):
    return f.make_reviewer("alice")


@pytest.fixture
def reviewer2(db):
    return f.make_reviewer("rita")


@pytest.fixture
def editor(db):
    return f.make_editor("bob")


@pytest.fixture
def editor2(db):
    return f.make_editor("erin")


@pytest.fixture
def client_a(db):
    return f.make_client("client-a")


@pytest.fixture
def client_b(db):
    return f.make_client("client-b")


@pytest.fixture
def outsider(db):
    return f.UserFactory(username="oscar")
