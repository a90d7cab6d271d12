"""Reference data every installation starts with: the rating scale and the role groups.

The data migrations call these with their historical app registry; tests that flush the
database (transactional tests, the live server) call them with the real one. Both are
idempotent.
"""

from __future__ import annotations

from typing import Any

# slug, label, ClaimReview ratingValue (None: unrated), description
RATING_SCALE: list[tuple[str, str, int | None, str]] = [
    ("false", "False", 1, "The claim is inaccurate."),
    (
        "mostly-false",
        "Mostly false",
        2,
        "The claim has an element of truth but ignores facts that would give a different "
        "impression.",
    ),
    (
        "mixed",
        "Mixed",
        3,
        "The claim is partially accurate but leaves out important details or takes things "
        "out of context.",
    ),
    (
        "mostly-true",
        "Mostly true",
        4,
        "The claim is accurate but needs clarification or additional information.",
    ),
    ("true", "True", 5, "The claim is accurate and nothing significant is missing."),
    ("unproven", "Unproven", None, "There is not enough evidence to support or refute the claim."),
]


def ensure_rating_scale(apps: Any) -> None:
    Rating = apps.get_model("claims", "Rating")
    for order, (slug, label, value, description) in enumerate(RATING_SCALE):
        Rating.objects.get_or_create(
            slug=slug,
            defaults={
                "label": label,
                "value": value,
                "best": 5,
                "worst": 1,
                "description": description,
                "order": order,
            },
        )


def ensure_groups(apps: Any) -> None:
    from django.contrib.auth.management import create_permissions

    from claims.roles import GROUP_PERMISSIONS

    # Permissions are normally created after all migrations ran; make sure they exist now.
    for app_config in apps.get_app_configs():
        # Historical app configs have no models module, which create_permissions skips.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)
