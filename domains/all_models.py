"""Import every module that defines tables, so Base.metadata is complete (Alembic, tests)."""

from domains import models as domain_models  # noqa: F401,E402
from domains.agent import models as agent_models  # noqa: F401,E402
from domains.briefs import models as brief_models  # noqa: F401,E402
from domains.inbox import models as inbox_models  # noqa: F401
from domains.reminders import models as reminder_models  # noqa: F401,E402
from domains.tools import models as tool_models  # noqa: F401
from domains.versions import models as version_models  # noqa: F401
from orchestrator import signin as signin_models  # noqa: F401
