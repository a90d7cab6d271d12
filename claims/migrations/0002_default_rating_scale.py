"""The default rating scale, mapped onto ClaimReview's ratingValue/bestRating/worstRating.

Editors can change labels and descriptions in the admin; "unproven" carries no numeric
value, so ClaimReview publishes only its alternateName.
"""

from django.db import migrations

from claims.reference import RATING_SCALE, ensure_rating_scale


def create_scale(apps, schema_editor):
    ensure_rating_scale(apps)


def remove_scale(apps, schema_editor):
    Rating = apps.get_model("claims", "Rating")
    Rating.objects.filter(slug__in=[row[0] for row in RATING_SCALE], reviews__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(create_scale, remove_scale)]
