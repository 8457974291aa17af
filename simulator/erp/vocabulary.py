"""The world's vocabulary: what a European distributor of industrial supplies sells, to whom.

Data only, no behaviour (as in Faker's providers): product families with their sub-families,
product nouns, specs and units; customer segments and what they buy; reference tables. The
generators compose these with numpy indices, so names look real at a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubFamily:
    """A level-2 category: the products it holds and how they are specified."""

    code: str
    name: str
    nouns: tuple[str, ...]
    specs: tuple[str, ...]
    base_unit: str = "PCS"
    # Alternative unit and the base quantities it may hold.
    pack_unit: str = "BOX"
    pack_sizes: tuple[int, ...] = (10, 20, 50, 100)
    price_factor: float = 1.0


@dataclass(frozen=True)
class Family:
    """A level-1 category; its code doubles as the item discount group."""

    code: str
    name: str
    price_factor: float
    subfamilies: tuple[SubFamily, ...]
    materials: tuple[str, ...] = ("",)


FAMILIES: tuple[Family, ...] = (
    Family(
        "FIX",
        "Fasteners & fixings",
        0.08,
        (
            SubFamily(
                "FIX-SCR",
                "Screws",
                (
                    "Wood screw",
                    "Chipboard screw",
                    "Machine screw",
                    "Self-tapping screw",
                    "Drywall screw",
                    "Deck screw",
                ),
                ("3.5x25", "4x30", "4x40", "5x50", "5x70", "6x80", "M4x20", "M5x25", "M6x30"),
                pack_sizes=(100, 200, 500, 1000),
            ),
            SubFamily(
                "FIX-BLT",
                "Bolts & nuts",
                ("Hex bolt", "Carriage bolt", "Hex nut", "Lock nut", "Threaded rod", "Eye bolt"),
                ("M6x40", "M8x50", "M10x60", "M12x80", "M16x100", "M20x120", "M8", "M10"),
                pack_sizes=(25, 50, 100, 200),
                price_factor=1.6,
            ),
            SubFamily(
                "FIX-ANC",
                "Anchors & plugs",
                (
                    "Nylon plug",
                    "Chemical anchor",
                    "Wedge anchor",
                    "Frame fixing",
                    "Hollow wall anchor",
                    "Sleeve anchor",
                ),
                ("6 mm", "8 mm", "10 mm", "12 mm", "M8x75", "M10x90", "M12x110"),
                pack_sizes=(50, 100, 200),
                price_factor=2.2,
            ),
            SubFamily(
                "FIX-WSH",
                "Washers & rivets",
                ("Flat washer", "Spring washer", "Blind rivet", "Fender washer", "Rivet nut"),
                ("M5", "M6", "M8", "M10", "3.2x8", "4x10", "4.8x12"),
                pack_sizes=(100, 250, 500, 1000),
                price_factor=0.6,
            ),
        ),
        ("zinc plated", "stainless A2", "stainless A4", "hot-dip galvanised", "black oxide"),
    ),
    Family(
        "TOOL",
        "Hand & power tools",
        3.0,
        (
            SubFamily(
                "TOOL-HND",
                "Hand tools",
                (
                    "Claw hammer",
                    "Combination pliers",
                    "Screwdriver set",
                    "Adjustable wrench",
                    "Utility knife",
                    "Torque wrench",
                    "Hex key set",
                    "Hacksaw",
                ),
                ("150 mm", "200 mm", "250 mm", "300 mm", "6-piece", "9-piece", '1/2"'),
                pack_sizes=(2, 4, 6, 10),
            ),
            SubFamily(
                "TOOL-PWR",
                "Power tools",
                (
                    "Cordless drill",
                    "Angle grinder",
                    "Impact driver",
                    "Jigsaw",
                    "Rotary hammer",
                    "Circular saw",
                    "Orbital sander",
                    "Heat gun",
                ),
                ("18V", "12V", "230V 850W", "230V 1200W", "18V brushless", "36V"),
                pack_unit="",
                pack_sizes=(),
                price_factor=8.0,
            ),
            SubFamily(
                "TOOL-MSR",
                "Measuring & testing",
                (
                    "Tape measure",
                    "Spirit level",
                    "Laser distance meter",
                    "Digital caliper",
                    "Multimeter",
                    "Voltage tester",
                    "Cross-line laser",
                ),
                ("3 m", "5 m", "8 m", "60 cm", "120 cm", "50 m", "CAT III"),
                pack_sizes=(5, 10),
                price_factor=2.5,
            ),
            SubFamily(
                "TOOL-ACC",
                "Tool accessories",
                (
                    "HSS drill bit set",
                    "Masonry drill bit",
                    "Cutting disc",
                    "Saw blade",
                    "Bit set",
                    "Sanding disc",
                    "Flap disc",
                    "Hole saw",
                ),
                ("6 mm", "8 mm", "10 mm", "115 mm", "125 mm", "230 mm", "P80", "P120", "25-piece"),
                pack_sizes=(5, 10, 25, 50),
                price_factor=0.4,
            ),
        ),
        ("Pro", "Industrial", "Compact", "Heavy duty", ""),
    ),
    Family(
        "ELEC",
        "Electrical supplies",
        0.9,
        (
            SubFamily(
                "ELEC-CBL",
                "Cables & wires",
                (
                    "Power cable",
                    "Installation cable",
                    "Flexible cord",
                    "Data cable Cat6",
                    "Control cable",
                    "Earth wire",
                ),
                ("3G1.5", "3G2.5", "5G2.5", "5G6", "2x0.75", "4x2x0.5", "1x16"),
                base_unit="M",
                pack_unit="ROLL",
                pack_sizes=(50, 100, 250, 500),
                price_factor=0.3,
            ),
            SubFamily(
                "ELEC-SWS",
                "Switches & sockets",
                (
                    "Wall socket",
                    "Light switch",
                    "Junction box",
                    "Surface socket",
                    "Dimmer switch",
                    "Cable gland",
                ),
                ("IP20", "IP44", "IP65", "16A", "2-gang", "M20"),
                pack_sizes=(10, 20, 50),
                price_factor=0.8,
            ),
            SubFamily(
                "ELEC-LGT",
                "Lighting",
                (
                    "LED panel",
                    "LED tube",
                    "Floodlight",
                    "Emergency light",
                    "LED bulb",
                    "Batten luminaire",
                ),
                ("9W E27", "18W", "36W", "50W", "100W", "4000K", "6500K"),
                pack_sizes=(4, 10, 25),
                price_factor=2.0,
            ),
            SubFamily(
                "ELEC-PRT",
                "Circuit protection",
                ("Circuit breaker", "RCD", "Surge protector", "Fuse", "Distribution board"),
                ("B16", "C32", "40A 30mA", "63A", "12-way", "gG 25A"),
                pack_sizes=(6, 12),
                price_factor=2.5,
            ),
        ),
        ("", "white", "grey", "black"),
    ),
    Family(
        "SAFE",
        "Safety & workwear",
        1.1,
        (
            SubFamily(
                "SAFE-GLV",
                "Gloves",
                (
                    "Nitrile gloves",
                    "Cut-resistant gloves",
                    "Leather work gloves",
                    "Disposable gloves",
                    "Thermal gloves",
                ),
                ("size 7", "size 8", "size 9", "size 10", "size 11"),
                base_unit="PAIR",
                pack_sizes=(12, 50, 100),
                price_factor=0.5,
            ),
            SubFamily(
                "SAFE-EYE",
                "Eye, face & hearing",
                ("Safety glasses", "Ear plugs", "Ear defenders", "Face shield", "Goggles"),
                ("clear", "tinted", "anti-fog", "SNR 30", "SNR 37"),
                pack_sizes=(10, 50, 200),
                price_factor=0.7,
            ),
            SubFamily(
                "SAFE-WRK",
                "Workwear",
                ("Hi-vis vest", "Work trousers", "Softshell jacket", "Coverall", "Rain jacket"),
                ("S", "M", "L", "XL", "XXL"),
                pack_sizes=(5, 10),
                price_factor=2.0,
            ),
            SubFamily(
                "SAFE-FTW",
                "Safety footwear",
                ("Safety boots S3", "Safety shoes S1P", "Rubber boots S5"),
                ("size 39", "size 40", "size 41", "size 42", "size 43", "size 44", "size 45"),
                pack_unit="",
                pack_sizes=(),
                price_factor=4.0,
            ),
        ),
        ("", "EN 388", "EN 166", "EN ISO 20471"),
    ),
    Family(
        "CLEAN",
        "Cleaning & hygiene",
        0.7,
        (
            SubFamily(
                "CLEAN-PAP",
                "Paper & dispensers",
                (
                    "Hand towel roll",
                    "Toilet paper",
                    "Wiping roll",
                    "Folded paper towels",
                    "Soap dispenser",
                ),
                ("1-ply", "2-ply", "3-ply", "150 m", "300 m"),
                pack_unit="CASE",
                pack_sizes=(6, 12, 24),
            ),
            SubFamily(
                "CLEAN-CHM",
                "Cleaning chemicals",
                (
                    "Degreaser",
                    "Floor cleaner",
                    "Disinfectant",
                    "Hand soap",
                    "Glass cleaner",
                    "Descaler",
                ),
                ("concentrate", "ready-to-use", "pH neutral", "fragrance-free"),
                base_unit="L",
                pack_unit="CAN",
                pack_sizes=(5, 10, 20),
                price_factor=0.6,
            ),
            SubFamily(
                "CLEAN-EQP",
                "Cleaning equipment",
                ("Mop set", "Microfibre cloth", "Broom", "Waste bin", "Bin liners", "Squeegee"),
                ("40 cm", "60 cm", "60 l", "120 l", "pack of 10"),
                pack_sizes=(5, 10, 20),
            ),
        ),
        ("", "eco", "professional"),
    ),
    Family(
        "PACK",
        "Packaging & shipping",
        0.5,
        (
            SubFamily(
                "PACK-BOX",
                "Boxes & cartons",
                ("Shipping carton", "Double-wall box", "Archive box", "Mailer box"),
                ("305x215x150", "400x300x250", "600x400x400", "A4", "A3"),
                pack_unit="BUNDLE",
                pack_sizes=(10, 20, 25),
                price_factor=0.6,
            ),
            SubFamily(
                "PACK-TPE",
                "Tape & film",
                ("Packing tape", "Stretch film", "Masking tape", "Strapping band", "Duct tape"),
                ("48 mm x 66 m", "50 mm x 50 m", "500 mm x 300 m", "12 mm x 1000 m"),
                pack_unit="BOX",
                pack_sizes=(6, 36, 72),
            ),
            SubFamily(
                "PACK-PRT",
                "Protective packaging",
                ("Bubble wrap", "Void fill", "Edge protector", "Foam sheet", "Corner board"),
                ("500 mm", "750 mm", "1000 mm", "35x35", "50x50"),
                pack_sizes=(10, 25, 50),
                price_factor=1.5,
            ),
        ),
        ("", "recycled", "heavy duty"),
    ),
    Family(
        "PLMB",
        "Plumbing & HVAC",
        1.4,
        (
            SubFamily(
                "PLMB-PIP",
                "Pipes & fittings",
                (
                    "Copper pipe",
                    "PEX pipe",
                    "Press fitting elbow",
                    "Tee fitting",
                    "Compression coupling",
                    "Reducer",
                ),
                ("15 mm", "22 mm", "28 mm", '1/2"', '3/4"', '1"'),
                pack_sizes=(10, 25, 50),
            ),
            SubFamily(
                "PLMB-VLV",
                "Valves",
                (
                    "Ball valve",
                    "Check valve",
                    "Pressure reducer",
                    "Thermostatic valve",
                    "Gate valve",
                ),
                ('1/2"', '3/4"', '1"', "DN15", "DN25", "PN16"),
                pack_sizes=(5, 10),
                price_factor=3.0,
            ),
            SubFamily(
                "PLMB-SEL",
                "Sealing",
                (
                    "PTFE tape",
                    "Silicone sealant",
                    "Thread sealant",
                    "O-ring set",
                    "Sealing compound",
                ),
                ("12 mm", "310 ml", "50 ml", "225-piece", "white", "transparent"),
                pack_sizes=(10, 12, 24),
                price_factor=0.5,
            ),
        ),
        ("brass", "stainless", "copper", "PVC", ""),
    ),
    Family(
        "CHEM",
        "Adhesives & chemicals",
        0.9,
        (
            SubFamily(
                "CHEM-ADH",
                "Adhesives",
                (
                    "Construction adhesive",
                    "Epoxy adhesive",
                    "Superglue",
                    "Contact adhesive",
                    "PU foam",
                ),
                ("20 g", "50 ml", "290 ml", "750 ml", "5 kg"),
                pack_sizes=(12, 24),
            ),
            SubFamily(
                "CHEM-LUB",
                "Lubricants",
                (
                    "Multi-purpose spray",
                    "Cutting oil",
                    "Grease cartridge",
                    "Chain lube",
                    "Silicone spray",
                ),
                ("400 ml", "500 ml", "1 l", "5 l"),
                pack_sizes=(6, 12, 24),
            ),
            SubFamily(
                "CHEM-PNT",
                "Paints & coatings",
                ("Metal primer", "Marking paint", "Zinc spray", "Enamel paint", "Floor coating"),
                ("RAL 9010", "RAL 7035", "RAL 5010", "fluo red", "500 ml", "2.5 l"),
                pack_sizes=(6, 12),
                price_factor=1.4,
            ),
        ),
        ("", "quick-dry", "food-grade", "low VOC"),
    ),
)

SUBFAMILIES: tuple[SubFamily, ...] = tuple(sub for fam in FAMILIES for sub in fam.subfamilies)

# Words that tell leaf (level-3) categories of one sub-family apart.
LEAF_QUALIFIERS: tuple[str, ...] = (
    "Standard",
    "Heavy duty",
    "Professional",
    "Economy",
    "Premium",
    "Industrial",
    "Compact",
    "Outdoor",
    "Precision",
    "Marine grade",
    "High temperature",
    "Food industry",
    "Trade packs",
    "Assortments",
    "Specials",
    "Bulk",
    "Certified",
    "Light duty",
    "Workshop",
    "Site",
)

BRANDS: tuple[str, ...] = (
    "Arnex",
    "Boltec",
    "Ferrox",
    "Kralle",
    "Norvik",
    "Tecnor",
    "Vulcan",
    "Lumea",
    "Protekt",
    "Hydra",
    "Carto",
    "Sellex",
    "Maxgrip",
    "Duralon",
    "Quadra",
    "Sirius",
    "Forja",
    "Alpen",
    "Brixo",
    "Cobalt",
    "Delta-K",
    "Eurofix",
    "Gruppo V",
    "Helix",
)

UNITS_OF_MEASURE: dict[str, str] = {
    "PCS": "Piece",
    "PAIR": "Pair",
    "M": "Metre",
    "L": "Litre",
    "BOX": "Box",
    "CASE": "Case",
    "CAN": "Can",
    "ROLL": "Roll",
    "BUNDLE": "Bundle",
    "PALLET": "Pallet",
}


@dataclass(frozen=True)
class Segment:
    """A customer segment: its price group, payment habits and what it buys."""

    code: str
    price_group: str
    payment_terms: tuple[str, ...]
    family_affinity: dict[str, float]


SEGMENTS: dict[str, Segment] = {
    "manufacturing": Segment(
        "manufacturing",
        "INDUSTRY",
        ("30D", "60D", "1M(8D)"),
        {"FIX": 3, "TOOL": 3, "SAFE": 2, "CHEM": 2, "ELEC": 1, "PACK": 2, "CLEAN": 1, "PLMB": 0.5},
    ),
    "construction": Segment(
        "construction",
        "TRADE",
        ("30D", "60D", "90D"),
        {
            "FIX": 4,
            "TOOL": 3,
            "SAFE": 2,
            "ELEC": 2,
            "PLMB": 2,
            "CHEM": 2,
            "PACK": 0.3,
            "CLEAN": 0.5,
        },
    ),
    "facility": Segment(
        "facility",
        "SERVICE",
        ("30D", "1M(8D)"),
        {"CLEAN": 4, "ELEC": 2, "PLMB": 2, "SAFE": 1, "TOOL": 1, "FIX": 1, "CHEM": 1, "PACK": 0.5},
    ),
    "reseller": Segment(
        "reseller",
        "RESELLER",
        ("30D", "60D"),
        {"FIX": 2, "TOOL": 2, "SAFE": 2, "ELEC": 2, "PLMB": 2, "CHEM": 2, "PACK": 2, "CLEAN": 2},
    ),
    "public": Segment(
        "public",
        "PUBLIC",
        ("60D", "90D"),
        {"CLEAN": 3, "SAFE": 2, "ELEC": 2, "PACK": 1, "TOOL": 1, "FIX": 1, "PLMB": 1, "CHEM": 0.5},
    ),
}

# Customer price groups (segment price lists); PUBLIC tenders are net prices.
PRICE_GROUPS: dict[str, tuple[str, bool]] = {
    "INDUSTRY": ("Industrial customers", True),
    "TRADE": ("Construction trade", True),
    "SERVICE": ("Facility services", True),
    "RESELLER": ("Resellers", True),
    "PUBLIC": ("Public sector (tender prices, net)", False),
}

# Customer discount groups by account size, and the base line discount % each gets.
DISCOUNT_GROUPS: dict[str, tuple[str, float]] = {
    "A": ("Top accounts", 8.0),
    "B": ("Regular accounts", 5.0),
    "C": ("Occasional accounts", 2.0),
}
# Extra line discount points per item discount group (fasteners carry the most margin).
ITEM_GROUP_DISCOUNT_OFFSET: dict[str, float] = {
    "FIX": 4.0,
    "TOOL": -2.0,
    "ELEC": 0.0,
    "SAFE": 1.0,
    "CLEAN": 2.0,
    "PACK": 3.0,
    "PLMB": 0.0,
    "CHEM": 1.0,
}

# code: (description, due days, discount days, discount %)
PAYMENT_TERMS: dict[str, tuple[str, int, int, float]] = {
    "COD": ("Cash on delivery", 0, 0, 0.0),
    "14D": ("Net 14 days", 14, 0, 0.0),
    "30D": ("Net 30 days", 30, 0, 0.0),
    "1M(8D)": ("1 month, 2% within 8 days", 30, 8, 2.0),
    "60D": ("Net 60 days", 60, 0, 0.0),
    "90D": ("Net 90 days", 90, 0, 0.0),
}

# country: (Faker locale, currency ('' = local currency EUR))
COUNTRIES: dict[str, tuple[str, str]] = {
    "ES": ("es_ES", ""),
    "PT": ("pt_PT", ""),
    "FR": ("fr_FR", ""),
    "DE": ("de_DE", ""),
    "IT": ("it_IT", ""),
    "NL": ("nl_NL", ""),
    "BE": ("nl_BE", ""),
    "IE": ("en_IE", ""),
    "GB": ("en_GB", "GBP"),
    "US": ("en_US", "USD"),
    "CH": ("de_CH", "CHF"),
    "SE": ("sv_SE", "SEK"),
    "PL": ("pl_PL", "PLN"),
    "DK": ("da_DK", "DKK"),
}

# currency: (description, units per 1 EUR at the snapshot)
CURRENCIES: dict[str, tuple[str, float]] = {
    "GBP": ("Pound Sterling", 0.86),
    "USD": ("US Dollar", 1.09),
    "CHF": ("Swiss Franc", 0.94),
    "SEK": ("Swedish Krona", 11.4),
    "PLN": ("Polish Zloty", 4.31),
    "DKK": ("Danish Krone", 7.46),
}

# Warehouses, the first one the central hub: (code, name, city, country, share of stock).
LOCATIONS: tuple[tuple[str, str, str, str, float], ...] = (
    ("MAIN", "Central warehouse", "Zaragoza", "ES", 0.40),
    ("NORTE", "North hub", "Bilbao", "ES", 0.12),
    ("SUR", "South hub", "Sevilla", "ES", 0.12),
    ("LEVANTE", "East hub", "Valencia", "ES", 0.10),
    ("CENTRO", "Madrid hub", "Getafe", "ES", 0.10),
    ("CATALUNYA", "Catalonia hub", "Martorell", "ES", 0.08),
    ("LISBOA", "Lisbon hub", "Lisboa", "PT", 0.06),
    ("PORTO", "Porto hub", "Porto", "PT", 0.04),
    ("LYON", "France hub", "Lyon", "FR", 0.05),
    ("KOELN", "Germany hub", "Köln", "DE", 0.04),
    ("GALICIA", "Galicia hub", "Vigo", "ES", 0.04),
    ("CANARIAS", "Canary Islands hub", "Las Palmas", "ES", 0.03),
)

BUYER_TITLES: tuple[str, ...] = (
    "Purchasing Manager",
    "Buyer",
    "Procurement Officer",
    "Maintenance Supervisor",
    "Site Manager",
    "Operations Manager",
    "Workshop Manager",
    "Office Manager",
    "Technical Buyer",
    "Warehouse Lead",
)
AP_TITLES: tuple[str, ...] = (
    "Accounts Payable Clerk",
    "Finance Manager",
    "Bookkeeper",
    "Accounting Assistant",
    "Controller",
)

# The company that owns the ERP (the seller).
COMPANY_NAME = "Suministros Ferrosur S.L."
COMPANY_EMAIL_DOMAIN = "ferrosur.example"
