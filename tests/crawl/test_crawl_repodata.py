"""A repository whose metadata is stale is not offered by /mirrorlist either."""

from mmcore.crawl.engine import stale_metadata_marks_repository


def test_stale_repodata_marks_its_repository_directory():
    verdicts = (
        (1, "40/Everything/x86_64", True),
        (2, "40/Everything/x86_64/Packages", True),
        (3, "40/Everything/x86_64/repodata", False),
        (4, "41/Everything/x86_64", True),
        (5, "41/Everything/x86_64/repodata", True),
        (6, "42/Everything/x86_64", None),
        (7, "42/Everything/x86_64/repodata", False),
    )
    assert stale_metadata_marks_repository(verdicts) == (
        (1, "40/Everything/x86_64", False),
        (2, "40/Everything/x86_64/Packages", True),
        (3, "40/Everything/x86_64/repodata", False),
        (4, "41/Everything/x86_64", True),
        (5, "41/Everything/x86_64/repodata", True),
        (6, "42/Everything/x86_64", None),  # unknown stays unknown
        (7, "42/Everything/x86_64/repodata", False),
    )


def test_top_level_repodata_marks_the_category_top():
    assert stale_metadata_marks_repository(((1, "", True), (2, "repodata", False))) == (
        (1, "", False),
        (2, "repodata", False),
    )
