"""factory_boy factories and the personas used across the suite.

Personas: `reviewer` (alice), `reviewer2` (rita), `editor` (bob), `editor2` (erin),
`client_a` and `client_b` (API clients), `outsider` (a signed-in user with no role).
"""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from claims import models as m
from claims.roles import CLIENTS, EDITORS, REVIEWERS

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def groups(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if not create or not extracted:
            return
        for name in extracted:
            self.groups.add(Group.objects.get(name=name))
        if set(extracted) & {REVIEWERS, EDITORS}:
            self.is_staff = True
        self.save()


def make_reviewer(username: str = "alice") -> object:
    return UserFactory(username=username, groups=[REVIEWERS])


def make_editor(username: str = "bob") -> object:
    return UserFactory(username=username, groups=[EDITORS])


def make_client(username: str = "client-a") -> object:
    return UserFactory(username=username, groups=[CLIENTS])


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Publisher

    name = factory.Sequence(lambda n: f"Outlet {n}")
    domain = factory.Sequence(lambda n: f"outlet{n}.example")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Source

    url = factory.Sequence(lambda n: f"https://outlet.example/articles/{n}")
    title = factory.Sequence(lambda n: f"Article {n}")
    text = factory.Sequence(lambda n: f"Officials said {n} people attended the rally on Monday.")
    publisher = factory.SubFactory(PublisherFactory)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Actor

    name = factory.Sequence(lambda n: f"Actor {n}")
    kind = m.Actor.Kind.PERSON


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Claim

    text = factory.Sequence(lambda n: f"The ministry reported {n + 10} new cases on Tuesday.")
    kind = m.Claim.Kind.FIGURE
    checkworthiness = 0.8


class AppearanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Appearance

    claim = factory.SubFactory(ClaimFactory)
    source = factory.SubFactory(SourceFactory)
    sentence = factory.LazyAttribute(lambda a: a.claim.text)
    start = 0
    end = factory.LazyAttribute(lambda a: len(a.sentence))


class AttributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Attribution

    appearance = factory.SubFactory(AppearanceFactory)
    actor = factory.SubFactory(ActorFactory)
    source_text = factory.LazyAttribute(lambda a: a.actor.name)
    cue = "said"
    kind = m.Attribution.Kind.SAID


class FigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Figure

    appearance = factory.SubFactory(AppearanceFactory)
    metric = "killed"
    value = 140
    lower = 140
    qualifier = m.Figure.Qualifier.OVER
    start = 0
    end = 8
    text = "over 140"


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Evidence

    claim = factory.SubFactory(ClaimFactory)
    url = factory.Sequence(lambda n: f"https://evidence.example/{n}")
    title = "Official report"
    stance = m.Evidence.Stance.REFUTES


def rating(slug: str = "false") -> m.Rating:
    return m.Rating.objects.get(slug=slug)
