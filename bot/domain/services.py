"""Everything long-lived the bot needs, built in one place from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.authority import Authority
from bot.domain.cases import CaseService
from bot.domain.cases.appeals import AppealService
from bot.domain.cases.distress import DistressService
from bot.domain.cases.reports import ReportService
from bot.domain.config import Settings
from bot.domain.dms import DmService
from bot.domain.followups import FollowUpService
from bot.domain.i18n.store import LocaleStore
from bot.domain.pauses import PauseService
from bot.domain.privacy import PrivacyService
from bot.domain.records import RecordService
from bot.domain.reflections import ReflectionService
from bot.infra.crypto import Cipher, load_cipher
from bot.infra.db import Database
from bot.infra.jobs import Clock, JobEngine, Ownership
from models import utcnow


@dataclass(frozen=True)
class Services:
    db: Database
    scheduler: AsyncIOScheduler
    jobs: JobEngine
    cases: CaseService
    reports: ReportService
    distress: DistressService
    reflections: ReflectionService
    cipher: Cipher
    followups: FollowUpService
    privacy: PrivacyService
    authority: Authority
    dms: DmService
    pauses: PauseService
    appeals: AppealService
    records: RecordService
    locales: LocaleStore


def ownership_for(settings: Settings) -> Ownership:
    bot = settings.bot
    ids = frozenset(bot.shard_ids) if bot.shard_ids is not None else None
    return Ownership(shard_count=bot.shard_count or 1, shard_ids=ids)


def build_services(
    settings: Settings,
    db: Database,
    scheduler: AsyncIOScheduler,
    *,
    cipher: Cipher | None = None,
    clock: Clock = utcnow,
) -> Services:
    cipher = cipher or load_cipher(settings.bot.data_dir)
    # Every sealed column read or written through this database uses these keys.
    db.seal_with(cipher)
    jobs = JobEngine(db, scheduler, ownership=ownership_for(settings), clock=clock)
    authority = Authority(settings)
    cases = CaseService(db, jobs, authority, clock)
    followups = FollowUpService(db, jobs, cases, settings, clock)
    # A new support case or report schedules its on-call escalation in its own transaction.
    cases.on_open.append(followups.schedule_escalation)
    dms = DmService(db, jobs, cases, clock)
    # Closing a support case ends its DM relay and tells the member, in the same transaction.
    cases.on_close.append(dms.case_closed)
    return Services(
        db=db,
        scheduler=scheduler,
        jobs=jobs,
        cases=cases,
        reports=ReportService(cases),
        distress=DistressService(cases),
        reflections=ReflectionService(db, cases, followups),
        cipher=cipher,
        followups=followups,
        privacy=PrivacyService(db, jobs, settings, clock),
        authority=authority,
        dms=dms,
        pauses=PauseService(db, jobs, authority, clock),
        appeals=AppealService(cases),
        records=RecordService(db, authority),
        locales=LocaleStore(db, clock),
    )
