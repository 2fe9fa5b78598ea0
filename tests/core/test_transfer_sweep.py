"""The beat job sweep-transfers: jobs whose worker died are failed instead of
showing "running" for ever, and job files past TRANSFER_RETENTION_DAYS are
deleted - the job page and the API then say so instead of a broken download."""

import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from erp.core.models import TransferJob
from erp.core.transfers import transfer_import_create, transfer_run
from tests.factories import ProductFactory

STALE = "The worker stopped while running this job; run it again."
GONE = "The files of this job are no longer kept: they are deleted 30 days after the job finished."


def sweep():
    """As beat or cron runs it; twice, as it may be."""
    call_command("run_due_jobs", only=["sweep-transfers"])
    call_command("run_due_jobs", only=["sweep-transfers"])


@pytest.fixture
def clients(make_user):
    user = make_user("admin")
    api, browser = APIClient(), Client()
    api.force_login(user)
    browser.force_login(user)
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    browser.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user, api, browser


def _job(user, status, minutes_ago, **fields):
    job = TransferJob.objects.create(
        direction=TransferJob.Direction.EXPORT,
        kind="products",
        format="csv",
        status=status,
        created_by=user,
        language="en",  # the job's own messages are written in its language
        **fields,
    )
    TransferJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return job


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_failed_and_shown_failed(clients, settings):
    settings.TRANSFER_STALE_MINUTES = 30
    user, api, browser = clients
    dead = _job(user, "running", 31, started_at=timezone.now() - timedelta(hours=1))
    lost = _job(user, "queued", 45)
    busy = _job(user, "running", 5)  # progress 5 minutes ago: alive
    done = _job(user, "done", 600, finished_at=timezone.now() - timedelta(hours=10))
    sweep()
    dead.refresh_from_db()
    assert (dead.status, dead.error) == ("failed", STALE) and dead.finished_at is not None
    lost.refresh_from_db()
    assert lost.status == "failed" and lost.error
    busy.refresh_from_db()
    done.refresh_from_db()
    assert (busy.status, done.status, done.error) == ("running", "done", "")
    job = api.get(f"/api/v1/exports/{dead.pk}/").json()
    assert (job["status"], job["error"]) == ("failed", STALE)
    page = browser.get(f"/imports/jobs/{dead.pk}/").content.decode()
    assert 'data-status="failed"' in page and STALE in page
    # The lost task's delivery, arriving after all, does nothing.
    assert transfer_run(job_id=lost.pk) is None


@pytest.mark.django_db
def test_a_claimed_job_is_not_stale_however_long_it_waited_in_the_queue(settings, clients):
    """The claim restarts the clock: a job queued for an hour behind others,
    then taken by a worker, is running - not dead."""
    user, _api, _browser = clients
    job = _job(user, "queued", 60)
    from erp.core.transfers import _claim

    assert _claim(job.pk) is not None
    sweep()
    job.refresh_from_db()
    assert job.status == "running"


def _csv(text: str, name="products.csv"):
    return SimpleUploadedFile(name, ("\ufeff" + text).encode("utf-8"), content_type="text/csv")


@pytest.mark.django_db
def test_old_job_files_are_deleted_and_the_page_and_api_say_so(
    clients, django_capture_on_commit_callbacks, settings
):
    settings.TRANSFER_RETENTION_DAYS = 30
    ProductFactory(sku="OLD-1")
    user, api, browser = clients
    with django_capture_on_commit_callbacks(execute=True):
        dry = transfer_import_create(
            kind="products", upload=_csv("sku,name\nA-1,好\nA-2,\n"), dry_run=True, actor=user
        )
        export = api.post("/api/v1/exports/", {"kind": "products", "format": "csv"}).json()
        recent = transfer_import_create(
            kind="products", upload=_csv("sku,name\nB-1,好\n"), dry_run=True, actor=user
        )
    dry.refresh_from_db()
    export = TransferJob.objects.get(pk=export["id"])
    assert dry.status == export.status == "done" and dry.error_count == 1
    paths = [f.path for f in (dry.file, dry.result_file, dry.error_file, export.result_file)]
    assert all(os.path.exists(p) for p in paths)
    TransferJob.objects.filter(pk__in=[dry.pk, export.pk]).update(
        finished_at=timezone.now() - timedelta(days=31)
    )
    sweep()
    assert not any(os.path.exists(p) for p in paths)
    dry.refresh_from_db()
    export.refresh_from_db()
    assert (dry.file.name, dry.result_file.name, dry.error_file.name) == ("", "", "")
    assert export.result_file.name == ""
    assert (dry.rows_total, dry.created_count, dry.error_count, len(dry.row_errors)) == (2, 1, 1, 1)
    recent.refresh_from_db()
    assert recent.file and recent.result_file and os.path.exists(recent.result_file.path)

    # API: the job keeps its counts; its downloads answer 410 in the house format.
    body = api.get(f"/api/v1/imports/{dry.pk}/").json()
    assert (body["status"], body["counts"]["errors"], body["download_url"]) == ("done", 1, None)
    for url in (
        f"/api/v1/imports/{dry.pk}/report/",
        f"/api/v1/imports/{dry.pk}/errors/",
        f"/api/v1/exports/{export.pk}/download/",
    ):
        response = api.get(url)
        assert response.status_code == 410, url
        assert response.json()["error"] == {"code": "files_deleted", "message": GONE, "fields": {}}

    # Pages: no broken links, the reason instead; an old link goes back to the job.
    page = browser.get(f"/imports/jobs/{dry.pk}/").content.decode()
    assert 'id="files-deleted"' in page and GONE in page
    assert 'id="download-report"' not in page and 'id="confirm-import"' not in page
    page = browser.get(f"/imports/jobs/{export.pk}/").content.decode()
    assert 'id="files-deleted"' in page and 'id="download-export"' not in page
    response = browser.get(f"/imports/jobs/{export.pk}/result/", follow=True)
    assert response.redirect_chain[-1][0] == f"/imports/jobs/{export.pk}/"
    assert GONE in response.content.decode()
    response = browser.post(f"/imports/jobs/{dry.pk}/import/", follow=True)
    assert GONE in response.content.decode()
    assert TransferJob.objects.count() == 3  # nothing imported for real
