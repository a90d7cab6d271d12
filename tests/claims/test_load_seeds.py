from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from api.models import ApiKey
from claims.models import Publisher, Source, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def load(django_capture_on_commit_callbacks):
    def run() -> str:
        out = StringIO()
        # load_seeds enqueues processing on commit, as the API does; run it here.
        with django_capture_on_commit_callbacks(execute=True):
            call_command("load_seeds", stdout=out)
        return out.getvalue()

    return run


def snapshot() -> dict[str, object]:
    from claims import models as m

    return {
        model.__name__: model.objects.count()
        for model in (
            m.Source,
            m.Publisher,
            m.Claim,
            m.Appearance,
            m.Attribution,
            m.Figure,
            m.Actor,
            m.Topic,
            m.ReviewTask,
            ApiKey,
            get_user_model(),
        )
    }


def test_load_seeds_stores_the_seed_article_with_its_publisher(load):
    output = load()
    source = Source.objects.get()
    assert source.title == "Putin and Mali leader Traore"
    assert "according to Russian authorities" in source.text
    assert source.publisher == Publisher.objects.get(domain="rt.com")
    assert source.status == Source.Status.DONE
    assert "password" in output


def test_load_seeds_twice_leaves_the_same_database(load):
    load()
    first = snapshot()
    load()
    assert snapshot() == first


def test_load_seeds_creates_demo_users_in_their_groups_and_a_client_key(load):
    load()
    users = get_user_model().objects
    assert users.get(username="reviewer").groups.filter(name="reviewers").exists()
    assert users.get(username="editor").groups.filter(name="editors").exists()
    assert users.get(username="reviewer").is_staff
    client = users.get(username="demo-client")
    assert client.groups.filter(name="clients").exists()
    assert not client.is_staff
    assert ApiKey.objects.filter(user=client).count() == 1


def test_load_seeds_creates_the_seed_topics(load):
    load()
    assert Topic.objects.filter(slug="crocus-city-hall-attack").exists()
