"""Create an API key for a user and print it once: it is stored only hashed.

manage.py create_api_key newsroom-cms --name "CMS plugin" [--create-client]
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.models import ApiKey
from claims.roles import CLIENTS


class Command(BaseCommand):
    help = "Create an API key for USERNAME and print it (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the key is for")
        parser.add_argument(
            "--create-client",
            action="store_true",
            help="Create USERNAME as a client application (group 'clients') if it does not exist",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            if not options["create_client"]:
                raise CommandError(
                    f"No user {username!r}. Pass --create-client to create a client application."
                )
            user = User.objects.create_user(username=username)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=CLIENTS))
        name = options["name"].strip()
        if not name:
            raise CommandError("--name must not be empty.")
        key, raw = ApiKey.generate(user=user, name=name[:100])
        self.stderr.write(
            f"Created key {key.prefix}… for {user.username}. Store it now; it is not shown again."
        )
        self.stdout.write(raw)
