"""The demo company's fixed facts: its name, the demo password, the default size and the day
the demo pretends it is."""

import datetime

DEMO_COMPANY_CODE = "anju-demo"
DEMO_COMPANY_NAME = "安居物业"
DEMO_PASSWORD = "guanjia-demo-2026"
DEFAULT_UNITS = 2000
DEFAULT_ESTATES = 2
BULK_THRESHOLD = 5000
SEED = 2026
TODAY = datetime.date(2026, 3, 1)
STAFF_SINCE = datetime.date(2023, 3, 1)
