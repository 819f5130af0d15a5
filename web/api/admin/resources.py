"""Every resource of /api/admin/, in the order the OpenAPI document lists them."""
from __future__ import annotations

from web.api.admin.accounts import AccountsResource
from web.api.admin.audit import AuditLog
from web.api.admin.base import Admin, Resource
from web.api.admin.commission_plans import CommissionPlans
from web.api.admin.groups import GroupsResource
from web.api.admin.ib_requests import IbRequestsAdmin
from web.api.admin.instruments import Instruments
from web.api.admin.jobs import Jobs
from web.api.admin.markups import Markups
from web.api.admin.rebate_plans import RebatePlansResource
from web.api.admin.routes import Routes
from web.api.admin.tenants import TenantsResource
from web.api.admin.users import UsersAdmin
from web.api.brand import BrandResource
from web.api.ib import IbView
from web.api.invites import Invites
from web.api.scheduled_orders import ScheduledOrdersResource


def resources(admin: Admin) -> list[Resource]:
    return [AuditLog(admin), TenantsResource(admin), GroupsResource(admin), AccountsResource(admin),
            BrandResource(admin.office.directory),
            Markups(admin), CommissionPlans(admin), Routes(admin), Instruments(admin),
            RebatePlansResource(admin), IbView(admin),
            Jobs(admin), ScheduledOrdersResource(admin),
            UsersAdmin(admin), IbRequestsAdmin(admin), Invites(admin)]
