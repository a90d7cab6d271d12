"""The default rating scale, mapped onto ClaimReview's ratingValue/bestRating/worstRating.

Editors can change labels and descriptions in the admin; "unproven" carries no numeric
value, so ClaimReview publishes only its alternateName.
"""

from django.db import migrations

SCALE = [
    ("false", "False", 1, "The claim is inaccurate."),
    (
        "mostly-false",
        "Mostly false",
        2,
        "The claim has an element of truth but ignores facts that would give a different impression.",
    ),
    (
        "mixed",
        "Mixed",
        3,
        "The claim is partially accurate but leaves out important details or takes things out of context.",
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


def create_scale(apps, schema_editor):
    Rating = apps.get_model("claims", "Rating")
    for order, (slug, label, value, description) in enumerate(SCALE):
        Rating.objects.update_or_create(
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


def remove_scale(apps, schema_editor):
    Rating = apps.get_model("claims", "Rating")
    Rating.objects.filter(slug__in=[row[0] for row in SCALE], reviews__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(create_scale, remove_scale)]
