"""The demo company's fixed cast: customers, projects, services, people, rate rules and entry texts.

Day offsets are relative to the seed's `today` (negative = in the past), so the story stays current.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_NAME = "Brightside Digital GmbH"
INTERNAL_CUSTOMER = "Brightside Internal"


@dataclass(frozen=True, slots=True)
class CustomerSpec:
    """A customer and how the company invoices it."""

    name: str
    color: int
    # "lagging": billed up to the end of the month before last; "monthly": up to last month's end;
    # "never": never invoiced (source of old unbilled hours); "all": everything billed; "internal": not billable.
    billing: str = "lagging"
    active: bool = True


@dataclass(frozen=True, slots=True)
class BudgetSpec:
    """A project budget, sized after the entries exist so that `usage` of it is consumed."""

    monetary: bool
    hard: bool
    usage: float
    thresholds: tuple[int, ...] = (50, 80, 100)
    amount: float | None = None  # fixed amount instead of one sized from `usage`


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """A project; `start`/`end` bound the days anybody books on it."""

    name: str
    customer: str
    start: int = -400
    end: int | None = None
    completed: int | None = None
    active: bool = True
    budget: BudgetSpec | None = None
    note: str | None = None
    # Hours beyond the cap (oldest first) move to `spill`, so a fixed budget ends up as used as intended.
    cap_hours: float | None = None
    spill: str | None = None


@dataclass(frozen=True, slots=True)
class PersonSpec:
    """A core employee. `minutes` is the range of work logged per day; `weekdays` the days they work."""

    name: str
    team: str
    role: str = "worker"
    email: str | None = None
    minutes: tuple[int, int] = (360, 510)
    weekdays: frozenset[int] = frozenset(range(5))
    start: int = -900
    exit: int | None = None
    quota: int = 30
    extra: tuple[tuple[str, str, float], ...] = ()
    hours_per_day: float = 8.0


CUSTOMERS: tuple[CustomerSpec, ...] = (
    CustomerSpec(INTERNAL_CUSTOMER, 6, billing="internal"),
    CustomerSpec("Client XYZ", 1),
    CustomerSpec("Acme Corp", 5, billing="monthly"),
    CustomerSpec("Nordlicht GmbH", 4, billing="never"),
    CustomerSpec("Greenleaf Organics", 3),
    CustomerSpec("Helios Energy AG", 2),
    CustomerSpec("Urban Bikes", 8, billing="monthly"),
    CustomerSpec("Bergmann & Söhne KG", 7),
    CustomerSpec("Stadtwerke Lindau", 9),
    CustomerSpec("Kaffeehaus Müller", 2, billing="monthly"),
    CustomerSpec("Polar Logistics", 5, billing="all", active=False),
)

_H = BudgetSpec
PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec("Internal Tools", INTERNAL_CUSTOMER, budget=_H(False, False, 0.55, (80, 100))),
    ProjectSpec("Team Meetings", INTERNAL_CUSTOMER),
    ProjectSpec("Sales & Pitches", INTERNAL_CUSTOMER),
    ProjectSpec("Training & Learning", INTERNAL_CUSTOMER),
    ProjectSpec("Project Alpha", "Client XYZ", budget=_H(True, False, 0.62), note="Platform rebuild, phase 2"),
    ProjectSpec("Brand Strategy", "Client XYZ", budget=_H(False, False, 1.08, (80, 100))),
    ProjectSpec("Support & Maintenance", "Client XYZ"),
    ProjectSpec("Website Redesign", "Acme Corp", budget=_H(False, True, 0.88)),
    ProjectSpec("E-Commerce Relaunch", "Acme Corp", start=-120, budget=_H(True, False, 1.15, (50, 80, 100, 120))),
    ProjectSpec("SEO Retainer", "Acme Corp"),
    ProjectSpec("Mobile App", "Nordlicht GmbH", start=-150, budget=_H(True, True, 0.93)),
    ProjectSpec("Nordlicht Intranet", "Nordlicht GmbH", budget=_H(False, False, 0.4)),
    ProjectSpec("Packaging Design", "Greenleaf Organics"),
    ProjectSpec("Online Shop", "Greenleaf Organics", budget=_H(True, True, 0.35)),
    ProjectSpec(
        "Spring Campaign", "Greenleaf Organics", start=-260, end=-75, completed=-70, budget=_H(True, True, 1.1)
    ),
    ProjectSpec(
        "Phoenix",
        "Helios Energy AG",
        start=-45,
        budget=_H(False, False, 0.9, amount=100.0),
        note="Codename",
        cap_hours=90.0,
        spill="Customer Portal",
    ),
    ProjectSpec("Customer Portal", "Helios Energy AG", budget=_H(False, False, 0.45)),
    ProjectSpec("Energy Dashboard", "Helios Energy AG", start=-30),
    ProjectSpec("Brand Refresh", "Urban Bikes"),
    ProjectSpec("Booking App", "Urban Bikes", budget=_H(False, False, 0.55)),
    ProjectSpec("ERP Integration", "Bergmann & Söhne KG", budget=_H(True, False, 0.3)),
    ProjectSpec("Citizen Portal", "Stadtwerke Lindau", budget=_H(False, True, 0.7)),
    ProjectSpec("Accessibility Audit", "Stadtwerke Lindau", start=-60),
    ProjectSpec("Coffee Subscription Site", "Kaffeehaus Müller"),
    ProjectSpec("Legacy Intranet", "Polar Logistics", start=-500, end=-130, completed=-120, active=False),
)

SERVICES: tuple[str, ...] = (
    "Design",
    "Development",
    "Consulting",
    "Project Management",
    "QA/Testing",
    "Meetings",
    "Travel",
    "Content & Copywriting",
    "Support",
)

# (name, price, unit)
LUMPSUM_SERVICES: tuple[tuple[str, float, str | None], ...] = (
    ("Travel (km)", 0.3, "km"),
    ("Workshop day", 1200.0, "day"),
    ("Stock photo licence", 49.0, "pcs"),
    ("Hosting (monthly)", 29.9, "month"),
)

TEAMS: tuple[str, ...] = ("Design", "Development", "Project Management", "QA", "Marketing")

Portfolio = tuple[tuple[str, str, float], ...]

TEAM_PORTFOLIOS: dict[str, Portfolio] = {
    "Design": (
        ("Website Redesign", "Design", 5),
        ("Brand Strategy", "Design", 4),
        ("Mobile App", "Design", 3),
        ("Project Alpha", "Design", 3),
        ("Packaging Design", "Design", 2),
        ("Brand Refresh", "Design", 2),
        ("Spring Campaign", "Design", 3),
        ("Citizen Portal", "Design", 1),
        ("Coffee Subscription Site", "Design", 1),
        ("Team Meetings", "Meetings", 1),
        ("Sales & Pitches", "Design", 0.7),
        ("Training & Learning", "Design", 0.4),
    ),
    "Development": (
        ("Project Alpha", "Development", 5),
        ("Mobile App", "Development", 4),
        ("Website Redesign", "Development", 3),
        ("E-Commerce Relaunch", "Development", 3),
        ("Customer Portal", "Development", 2),
        ("Booking App", "Development", 2),
        ("ERP Integration", "Development", 2),
        ("Energy Dashboard", "Development", 1.5),
        ("Support & Maintenance", "Support", 1.5),
        ("Nordlicht Intranet", "Development", 1.5),
        ("Online Shop", "Development", 1),
        ("Legacy Intranet", "Development", 3),
        ("Internal Tools", "Development", 3),
        ("Team Meetings", "Meetings", 1),
        ("Training & Learning", "Development", 0.6),
    ),
    "Project Management": (
        ("Project Alpha", "Project Management", 3),
        ("Website Redesign", "Project Management", 2),
        ("Mobile App", "Project Management", 2),
        ("Brand Strategy", "Consulting", 2),
        ("E-Commerce Relaunch", "Project Management", 1),
        ("Customer Portal", "Project Management", 1),
        ("SEO Retainer", "Consulting", 2),
        ("Citizen Portal", "Project Management", 1),
        ("Accessibility Audit", "Consulting", 1),
        ("Sales & Pitches", "Consulting", 3),
        ("Team Meetings", "Meetings", 2),
    ),
    "QA": (
        ("Mobile App", "QA/Testing", 4),
        ("Project Alpha", "QA/Testing", 3),
        ("Website Redesign", "QA/Testing", 2),
        ("E-Commerce Relaunch", "QA/Testing", 2),
        ("Accessibility Audit", "QA/Testing", 2),
        ("Booking App", "QA/Testing", 1),
        ("Internal Tools", "QA/Testing", 1),
        ("Team Meetings", "Meetings", 1),
    ),
    "Marketing": (
        ("SEO Retainer", "Content & Copywriting", 4),
        ("Brand Strategy", "Content & Copywriting", 2),
        ("Online Shop", "Content & Copywriting", 2),
        ("Spring Campaign", "Content & Copywriting", 3),
        ("Coffee Subscription Site", "Content & Copywriting", 1),
        ("Sales & Pitches", "Content & Copywriting", 3),
        ("Team Meetings", "Meetings", 1),
    ),
}

OWNER_NAME = "Olivia Brandt"
WORKER_NAME = "Tom Becker"
TIMER_NAME = "Paul Zimmermann"
UNDERUTILIZED_NAME = "Lukas Hoffmann"

# The first person of each team listed in TEAM_LEADERS leads it.
TEAM_LEADERS: dict[str, str] = {
    "Design": "Anna Schneider",
    "Development": "Markus Weber",
    "Project Management": OWNER_NAME,
    "QA": "Sarah Miller",
    "Marketing": "Lena Wolf",
}

PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec(
        OWNER_NAME,
        "Project Management",
        role="owner",
        email="owner@demo.example",
        minutes=(300, 450),
        start=-2900,
        extra=(("Sales & Pitches", "Consulting", 3),),
    ),
    PersonSpec(WORKER_NAME, "Development", email="worker@demo.example", start=-1100),
    PersonSpec("Sarah Chen", "Design", start=-1300),
    PersonSpec("Sarah Miller", "QA", start=-1500),
    PersonSpec(
        "Markus Weber",
        "Development",
        start=-2500,
        quota=30,
        extra=(("Phoenix", "Development", 8), ("Project Alpha", "Consulting", 1)),
    ),
    PersonSpec("Anna Schneider", "Design", start=-2200),
    PersonSpec("Jonas Wagner", "Design", start=-800, quota=28),
    PersonSpec(
        UNDERUTILIZED_NAME,
        "Development",
        minutes=(240, 375),
        start=-700,
        quota=28,
        extra=(("Internal Tools", "Development", 9), ("Training & Learning", "Development", 3)),
    ),
    PersonSpec("Mia Schulz", "Development", minutes=(300, 390), start=-950, hours_per_day=6.0, quota=28),
    PersonSpec("David Klein", "Project Management", start=-1200, extra=(("Phoenix", "Project Management", 2.5),)),
    PersonSpec("Lena Wolf", "Marketing", start=-1000),
    PersonSpec("Felix Braun", "QA", weekdays=frozenset(range(4)), start=-600, quota=28),
    PersonSpec("Emma Fischer", "QA", start=-60, quota=28, extra=(("Phoenix", "QA/Testing", 5),)),
    PersonSpec("Nina Richter", "Design", start=-400, quota=28),
    PersonSpec(TIMER_NAME, "Development", start=-650, extra=(("Phoenix", "Development", 8),)),
    PersonSpec("Jan Kowalski", "Development", start=-1400, exit=-120, quota=28),
)

# Rate rules by names: (customers, projects, services, users, hourly_rate).
RATE_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], float], ...] = (
    (("Client XYZ",), (), (), (), 110.0),
    (("Acme Corp",), (), (), (), 120.0),
    (("Nordlicht GmbH",), (), (), (), 90.0),
    (("Acme Corp",), (), ("Consulting",), (), 150.0),
    ((), ("Phoenix",), (), (), 130.0),
    ((), (), (), ("Markus Weber",), 140.0),
    ((), (), ("Project Management",), (), 105.0),
)
DEFAULT_HOURLY_RATE = 95.0

SERVICE_TEXTS: dict[str, tuple[str, ...]] = {
    "Design": (
        "Wireframes",
        "UI design review",
        "Design system components",
        "Icon set",
        "Mood board",
        "Responsive layouts",
        "Prototype in Figma",
        "Style guide update",
        "Visual QA of build",
    ),
    "Development": (
        "Code review",
        "API integration",
        "Bug fixing",
        "Unit tests",
        "Refactoring",
        "CI pipeline",
        "Feature implementation",
        "Database migration",
        "Performance tuning",
    ),
    "Consulting": ("Strategy workshop", "Stakeholder interviews", "Client call", "Proposal", "Roadmap review"),
    "Project Management": (
        "Sprint planning",
        "Status report",
        "Client call",
        "Backlog grooming",
        "Release planning",
        "Budget review",
        "Retrospective",
    ),
    "QA/Testing": (
        "Regression testing",
        "Test plan",
        "Exploratory testing",
        "Bug verification",
        "Test automation",
        "Device testing",
    ),
    "Meetings": ("Weekly team meeting", "All-hands", "1:1", "Planning meeting"),
    "Content & Copywriting": (
        "Blog article",
        "Landing page copy",
        "Newsletter",
        "SEO keyword research",
        "Social media posts",
    ),
    "Support": ("Support ticket", "Hotfix", "Server maintenance", "Security updates"),
    "Travel": ("Travel to client",),
}

PROJECT_TEXTS: dict[str, tuple[str, ...]] = {
    "Website Redesign": (
        "Homepage hero section",
        "Navigation redesign",
        "Footer and legal pages",
        "Product detail template",
    ),
    "Project Alpha": ("Checkout flow", "User onboarding", "Search service", "Admin dashboard"),
    "Mobile App": ("Login screen", "Push notifications", "Offline mode", "App store assets"),
    "Brand Strategy": ("Brand positioning", "Competitor analysis", "Logo exploration", "Tone of voice"),
    "Phoenix": ("Phoenix architecture", "Phoenix data import", "Phoenix reporting module"),
    "Internal Tools": ("Time-tracking integration", "Deployment scripts", "Intranet wiki"),
    "Sales & Pitches": ("Pitch deck", "Offer for new lead", "Credentials presentation"),
    "Training & Learning": ("Conference talk prep", "Online course", "Reading group"),
    "E-Commerce Relaunch": ("Cart service", "Payment provider integration", "Product import"),
    "Customer Portal": ("Customer login", "Invoice download area", "Meter reading form"),
}

FIRST_NAMES: tuple[str, ...] = (
    "Alex",
    "Ben",
    "Clara",
    "Daniel",
    "Eva",
    "Finn",
    "Greta",
    "Hannah",
    "Ida",
    "Jakob",
    "Katrin",
    "Leon",
    "Marie",
    "Noah",
    "Oskar",
    "Pia",
    "Quentin",
    "Rosa",
    "Simon",
    "Tina",
    "Uwe",
    "Vera",
    "Wim",
    "Yara",
    "Zoe",
    "Amir",
    "Bianca",
    "Carlos",
    "Dilara",
    "Elif",
    "Farid",
    "Gina",
    "Hugo",
    "Ines",
    "Jonte",
)
LAST_NAMES: tuple[str, ...] = (
    "Albrecht",
    "Bauer",
    "Dietrich",
    "Engel",
    "Frank",
    "Graf",
    "Hahn",
    "Jung",
    "Keller",
    "Lange",
    "Lorenz",
    "Meyer",
    "Neumann",
    "Otto",
    "Peters",
    "Roth",
    "Sauer",
    "Schmitt",
    "Vogel",
    "Winter",
    "Yilmaz",
    "Ziegler",
    "Arnold",
    "Beck",
    "Busch",
    "Fuchs",
    "Haas",
    "Kraus",
    "Lehmann",
    "Pohl",
)
