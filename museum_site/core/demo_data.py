"""The demo museum loaded by ``manage.py load_demo``: halls, exhibits and demo accounts.

The works, makers and objects are invented for the demo unless they are well-known
scientific instruments or specimen types; any likeness to a real catalogue is chance.
"""

DEMO_PASSWORD = "museum-demo-pass"  # noqa: S105  (documented in README.md; demo only)

HALLS = [
    {
        "slug": "european-painting",
        "name": "Gallery of European Painting",
        "floor": 1,
        "ordering": 10,
        "description": "Five centuries of painting, from altarpieces lit by candles to the "
        "open-air canvases of the impressionists.",
    },
    {
        "slug": "sculpture-court",
        "name": "Sculpture Court",
        "floor": 0,
        "ordering": 20,
        "description": "A glass-roofed courtyard where marble, bronze and wood from three "
        "continents share the same daylight.",
    },
    {
        "slug": "natural-history",
        "name": "Hall of Natural History",
        "floor": 0,
        "ordering": 30,
        "description": "Fossils, minerals and skeletons that tell the story of life on Earth, "
        "from Jurassic seas to the last ice age.",
    },
    {
        "slug": "science-and-invention",
        "name": "Science and Invention",
        "floor": -1,
        "ordering": 40,
        "description": "Instruments and machines that changed how we measure, calculate and "
        "see. Several of them still work; ask a guide for a demonstration.",
    },
    {
        "slug": "modern-and-contemporary",
        "name": "Modern and Contemporary Art",
        "floor": 2,
        "ordering": 50,
        "description": "Art from 1900 to today: abstraction, pop, minimalism and installations "
        "that ask visitors to step inside.",
    },
]

EXHIBITS = [
    # --- Gallery of European Painting ------------------------------------------------------
    {
        "hall": "european-painting",
        "slug": "harbour-at-first-light",
        "title": "Harbour at First Light",
        "artist": "Marguerite Lenoir",
        "year": 1887,
        "tags": ["impressionism", "seascape", "oil painting"],
        "description": "Fishing boats wait for the tide as the sun breaks through the morning "
        "mist. Lenoir painted the scene in under two hours, standing on the quay, and left "
        "the canvas bare in places so that the light seems to come from the picture itself.",
    },
    {
        "hall": "european-painting",
        "slug": "the-lacemakers-window",
        "title": "The Lacemaker's Window",
        "artist": "Pieter van Doorn",
        "year": 1664,
        "tags": ["dutch golden age", "genre painting", "oil painting"],
        "description": "A young woman bends over her bobbins beside a leaded window. Van Doorn "
        "used a camera obscura to study the fall of light across the tablecloth; look for the "
        "tiny pinpricks in the ground layer where he marked the vanishing point.",
    },
    {
        "hall": "european-painting",
        "slug": "portrait-of-a-merchants-daughter",
        "title": "Portrait of a Merchant's Daughter",
        "artist": "Giovanni Albertelli",
        "year": 1531,
        "tags": ["renaissance", "portrait", "oil painting"],
        "description": "Commissioned for a betrothal, the portrait shows the sitter holding a "
        "carnation, a traditional token of engagement. X-rays revealed that Albertelli first "
        "painted her looking directly at the viewer before turning her gaze aside.",
    },
    {
        "hall": "european-painting",
        "slug": "storm-over-the-moor",
        "title": "Storm over the Moor",
        "artist": "Thomas Ashcombe",
        "year": 1824,
        "tags": ["romanticism", "landscape", "oil painting"],
        "description": "A lone rider races a thunderstorm across open heathland. Ashcombe "
        "believed nature's power should make the viewer feel small, and he scraped the wet "
        "paint with a palette knife to give the clouds their violent texture.",
    },
    {
        "hall": "european-painting",
        "slug": "still-life-with-lemons",
        "title": "Still Life with Lemons and a Silver Ewer",
        "artist": "Clara Heemskerk",
        "year": 1648,
        "tags": ["still life", "dutch golden age", "oil painting"],
        "description": "A half-peeled lemon spirals over the table edge beside an overturned "
        "ewer. One of the few women admitted to the Haarlem painters' guild, Heemskerk hid "
        "her own reflection, brush in hand, in the curve of the silver.",
    },
    {
        "hall": "european-painting",
        "slug": "the-orchard-in-bloom",
        "title": "The Orchard in Bloom",
        "artist": "Émile Varenne",
        "year": 1891,
        "tags": ["post-impressionism", "landscape", "colour"],
        "description": "Varenne built this orchard from thousands of short, parallel strokes of "
        "pure colour. Seen up close the blossom dissolves into dabs of pink and violet; step "
        "back three metres and the trees seem to sway.",
    },
    {
        "hall": "european-painting",
        "slug": "annunciation-triptych",
        "title": "Annunciation Triptych",
        "artist": "Workshop of the Master of Ghent",
        "year": 1470,
        "tags": ["early netherlandish", "religious art", "tempera"],
        "description": "A folding altarpiece whose wings were closed on ordinary days and "
        "opened on feast days. The outer panels, painted in grey tones to imitate stone "
        "statues, contrast with the jewel-like colours of the Annunciation inside.",
    },
    # --- Sculpture Court -------------------------------------------------------------------
    {
        "hall": "sculpture-court",
        "slug": "striding-athlete",
        "title": "Striding Athlete",
        "artist": "Roman copy after a Greek original",
        "year": 120,
        "tags": ["classical antiquity", "marble", "human figure"],
        "description": "A Roman workshop carved this marble copy of a lost Greek bronze for a "
        "villa garden. The tree stump beside the leg was not in the original: marble needs "
        "the support where bronze did not.",
    },
    {
        "hall": "sculpture-court",
        "slug": "head-of-a-river-god",
        "title": "Head of a River God",
        "artist": "Unknown Hellenistic sculptor",
        "year": -150,
        "tags": ["classical antiquity", "marble", "mythology"],
        "description": "Water weeds curl through the god's beard and hair. Found in 1902 in the "
        "silt of a dried-up riverbed, the head still shows traces of the red and blue paint "
        "that once covered it.",
    },
    {
        "hall": "sculpture-court",
        "slug": "the-kiss-of-the-wind",
        "title": "The Kiss of the Wind",
        "artist": "Auguste Delmas",
        "year": 1902,
        "tags": ["bronze", "symbolism", "human figure"],
        "description": "Two figures seem to dissolve into the swirling drapery that joins them. "
        "Delmas cast only three examples before destroying the mould; this is the only one on "
        "public display.",
    },
    {
        "hall": "sculpture-court",
        "slug": "reclining-figure-in-elm",
        "title": "Reclining Figure in Elm",
        "artist": "Edith Marlow",
        "year": 1946,
        "tags": ["modernism", "wood", "abstraction"],
        "description": "Marlow followed the grain of a single elm trunk, letting the wood decide "
        "where the body would open into hollows. Visitors are invited to walk around it: the "
        "figure becomes a landscape of hills and caves from the far side.",
    },
    {
        "hall": "sculpture-court",
        "slug": "ordos-bronze-horse",
        "title": "Bronze Horse from the Ordos Steppe",
        "artist": "Unknown nomadic metalworker",
        "year": -300,
        "tags": ["bronze", "ancient", "animals"],
        "description": "No taller than a hand, this horse once decorated a harness. Its folded "
        "legs and twisted body are typical of steppe art, which packed movement into objects "
        "small enough to carry on horseback.",
    },
    {
        "hall": "sculpture-court",
        "slug": "mother-and-child",
        "title": "Mother and Child",
        "artist": "Käthe Brandt",
        "year": 1931,
        "tags": ["bronze", "expressionism", "human figure"],
        "description": "Brandt modelled the clay with her thumbs, leaving the marks visible in "
        "the cast bronze. Made during the economic crisis of the early 1930s, the huddled "
        "pair became a symbol of endurance.",
    },
    {
        "hall": "sculpture-court",
        "slug": "seated-bodhisattva",
        "title": "Seated Bodhisattva",
        "artist": "Unknown temple workshop",
        "year": 1150,
        "tags": ["buddhist art", "wood", "religious art"],
        "description": "Carved from several blocks of cypress and once covered in gold leaf, the "
        "figure sits in the posture of royal ease. A hollow in its back held scrolls of sutras, "
        "found during conservation in 1987.",
    },
    # --- Hall of Natural History -----------------------------------------------------------
    {
        "hall": "natural-history",
        "slug": "allosaurus-skeleton",
        "title": "Allosaurus Skeleton",
        "artist": "",
        "year": None,
        "tags": ["dinosaurs", "fossil", "jurassic"],
        "description": "Nine metres from snout to tail, this Allosaurus was the top predator of "
        "its time, 150 million years ago. The skeleton combines the original bones of one "
        "individual with casts of the missing tail vertebrae, shown in a lighter colour.",
    },
    {
        "hall": "natural-history",
        "slug": "ammonite-wall",
        "title": "Ammonite Wall",
        "artist": "",
        "year": None,
        "tags": ["fossil", "jurassic", "marine life"],
        "description": "A slab of seabed crowded with more than two hundred ammonites, relatives "
        "of today's squid and nautilus. Their spiral shells grew new chambers as the animals "
        "grew, and they help geologists date rocks all over the world.",
    },
    {
        "hall": "natural-history",
        "slug": "northbridge-iron-meteorite",
        "title": "The Northbridge Iron Meteorite",
        "artist": "",
        "year": 1911,
        "tags": ["meteorite", "geology", "space"],
        "description": "This 340-kilogram lump of iron and nickel fell on a farm east of the city "
        "in 1911. Cut and polished, its face shows the criss-cross Widmanstätten pattern, "
        "which forms only when metal cools over millions of years inside an asteroid. "
        "Go ahead and touch it.",
    },
    {
        "hall": "natural-history",
        "slug": "blue-whale-jawbones",
        "title": "Blue Whale Jawbones",
        "artist": "",
        "year": None,
        "tags": ["marine life", "mammals", "conservation"],
        "description": "At almost seven metres, these jawbones framed the entrance of a whaling "
        "station for decades. Blue whales were hunted close to extinction; since protection in "
        "1966 their numbers have slowly begun to recover.",
    },
    {
        "hall": "natural-history",
        "slug": "amethyst-geode",
        "title": "Amethyst Geode",
        "artist": "",
        "year": None,
        "tags": ["minerals", "geology", "crystals"],
        "description": "A hollow in an ancient lava flow, lined with purple quartz crystals that "
        "grew from mineral-rich water over thousands of years. Traces of iron, altered by "
        "natural radiation, give amethyst its colour.",
    },
    {
        "hall": "natural-history",
        "slug": "dodo-reconstruction",
        "title": "Dodo Reconstruction",
        "artist": "",
        "year": None,
        "tags": ["birds", "extinction", "conservation"],
        "description": "Built from a composite of sub-fossil bones, this model shows the dodo "
        "leaner than in old paintings, which were often made from overfed captive birds. The "
        "species was extinct within a century of first contact with sailors.",
    },
    {
        "hall": "natural-history",
        "slug": "woolly-mammoth-tusk",
        "title": "Woolly Mammoth Tusk",
        "artist": "",
        "year": None,
        "tags": ["ice age", "mammals", "fossil"],
        "description": "Dredged from the bed of the North Sea, which was dry grassland during the "
        "last ice age. The growth rings inside tusks record each year of a mammoth's life, "
        "including the seasons when food was scarce.",
    },
    # --- Science and Invention -------------------------------------------------------------
    {
        "hall": "science-and-invention",
        "slug": "foucault-pendulum",
        "title": "Foucault Pendulum",
        "artist": "After Léon Foucault",
        "year": 1851,
        "tags": ["physics", "astronomy", "interactive"],
        "description": "A 28-kilogram brass bob swings from the ceiling three floors above. The "
        "pendulum keeps swinging in the same plane while the Earth turns beneath it, so over "
        "the day it knocks down the pegs around its base one by one.",
    },
    {
        "hall": "science-and-invention",
        "slug": "difference-engine-section",
        "title": "Difference Engine Demonstration Section",
        "artist": "After Charles Babbage",
        "year": 1832,
        "tags": ["computing", "mechanics", "mathematics"],
        "description": "A working section of Babbage's mechanical calculator, built to tabulate "
        "polynomials without human error. Turning the crank adds columns of figures held on "
        "brass wheels, a century before electronic computers.",
    },
    {
        "hall": "science-and-invention",
        "slug": "brass-grand-orrery",
        "title": "Brass Grand Orrery",
        "artist": "Benjamin Martin",
        "year": 1767,
        "tags": ["astronomy", "clockwork", "enlightenment"],
        "description": "Turn the handle and the planets known in 1767 circle the Sun at their "
        "correct relative speeds, with moons around the Earth, Jupiter and Saturn. Orreries "
        "were used in public lectures to show that the heavens obey mechanical laws.",
    },
    {
        "hall": "science-and-invention",
        "slug": "early-x-ray-tube",
        "title": "Early X-ray Tube",
        "artist": "",
        "year": 1896,
        "tags": ["medicine", "physics", "electricity"],
        "description": "Made only months after Röntgen announced his discovery, this glass tube "
        "was used by a local doctor to find needles and bullets in patients. The violet "
        "tint of the glass comes from years of exposure to its own radiation.",
    },
    {
        "hall": "science-and-invention",
        "slug": "enigma-cipher-machine",
        "title": "Enigma Cipher Machine",
        "artist": "",
        "year": 1941,
        "tags": ["cryptography", "computing", "20th century"],
        "description": "Each key press sent current through three rotating wheels, lighting a "
        "different letter every time. Breaking its daily settings required some of the first "
        "electromechanical computing machines and thousands of people working in secret.",
    },
    {
        "hall": "science-and-invention",
        "slug": "wimshurst-machine",
        "title": "Wimshurst Machine",
        "artist": "James Wimshurst",
        "year": 1883,
        "tags": ["electricity", "physics", "interactive"],
        "description": "Two glass discs spinning in opposite directions build up enough static "
        "charge to throw a spark across a five-centimetre gap. Demonstrations run at eleven "
        "and three o'clock every day.",
    },
    {
        "hall": "science-and-invention",
        "slug": "marine-chronometer",
        "title": "Marine Chronometer",
        "artist": "Arnold and Dent",
        "year": 1795,
        "tags": ["navigation", "clockwork", "enlightenment"],
        "description": "A clock accurate enough at sea to let sailors work out their longitude. "
        "Mounted in gimbals inside its wooden box, it stayed level as the ship rolled, "
        "losing less than a second a day.",
    },
    # --- Modern and Contemporary Art -------------------------------------------------------
    {
        "hall": "modern-and-contemporary",
        "slug": "composition-in-red-squares",
        "title": "Composition in Red Squares",
        "artist": "Hanna Lindqvist",
        "year": 1921,
        "tags": ["abstraction", "geometric", "colour"],
        "description": "Lindqvist reduced painting to rectangles of primary colour divided by "
        "black lines, aiming for a visual harmony she compared to music. Notice how the single "
        "red square in the lower corner pulls the whole composition off balance.",
    },
    {
        "hall": "modern-and-contemporary",
        "slug": "night-traffic",
        "title": "Night Traffic",
        "artist": "Oskar Reinholt",
        "year": 1958,
        "tags": ["abstract expressionism", "city", "colour"],
        "description": "Reinholt laid the canvas on the floor of his studio above a busy junction "
        "and poured paint from cans, trying to record the rhythm of headlights rather than "
        "the cars themselves.",
    },
    {
        "hall": "modern-and-contemporary",
        "slug": "supermarket-still-life",
        "title": "Supermarket Still Life",
        "artist": "Dana Pryor",
        "year": 1964,
        "tags": ["pop art", "print", "consumer culture"],
        "description": "Forty screen-printed cereal boxes, each slightly misregistered, line up "
        "like products on a shelf. Pryor borrowed the language of advertising to ask what "
        "makes an image, or an object, worth looking at.",
    },
    {
        "hall": "modern-and-contemporary",
        "slug": "untitled-blue-field",
        "title": "Untitled (Blue Field)",
        "artist": "Miriam Castell",
        "year": 1972,
        "tags": ["minimalism", "colour field", "colour"],
        "description": "A single canvas three metres wide, covered in thin layers of blue. "
        "Castell asked that it be hung low, so that it fills the visitor's field of view: "
        "stand close for a minute and watch how the colour seems to change.",
    },
    {
        "hall": "modern-and-contemporary",
        "slug": "memory-quilt",
        "title": "Memory Quilt",
        "artist": "Rosa Almeida",
        "year": 1998,
        "tags": ["textile", "memory", "contemporary"],
        "description": "Almeida stitched together clothes donated by two hundred residents of "
        "the city's old dockyard district before it was demolished. Each patch carries a "
        "handwritten label with a memory from its owner.",
    },
    {
        "hall": "modern-and-contemporary",
        "slug": "listening-room",
        "title": "Listening Room",
        "artist": "Ayo Okafor",
        "year": 2016,
        "tags": ["installation", "sound art", "interactive"],
        "description": "A dark room of twelve speakers playing recordings made in markets, "
        "playgrounds and forests. The sound follows visitors as they move, so no two people "
        "hear the same piece.",
    },
    {
        "hall": "modern-and-contemporary",
        "slug": "mirror-maze-study",
        "title": "Mirror Maze Study",
        "artist": "Jun Takeda",
        "year": 2009,
        "tags": ["installation", "light", "interactive"],
        "description": "Angled mirrors and a single lamp multiply into an endless corridor of "
        "light. Takeda calls it a study in attention: the room looks different depending on "
        "where you choose to look first.",
    },
]

# Demo visitors: username, display name, then the slugs of the exhibits seen on each visit.
VISITORS = [
    {
        "username": "demo-visitor-1",
        "display_name": "Amira",
        "visits": [
            ["harbour-at-first-light", "the-orchard-in-bloom", "storm-over-the-moor"],
            ["foucault-pendulum", "brass-grand-orrery", "wimshurst-machine", "listening-room"],
        ],
    },
    {
        "username": "demo-visitor-2",
        "display_name": "Ben",
        "visits": [
            ["allosaurus-skeleton", "ammonite-wall", "woolly-mammoth-tusk", "dodo-reconstruction"],
        ],
    },
    {
        "username": "demo-visitor-3",
        "display_name": "Chloé",
        "visits": [
            ["striding-athlete", "the-kiss-of-the-wind", "reclining-figure-in-elm"],
            ["composition-in-red-squares", "untitled-blue-field", "mirror-maze-study"],
            ["the-lacemakers-window", "still-life-with-lemons"],
        ],
    },
    {
        "username": "demo-visitor-4",
        "display_name": "Dmitri",
        "visits": [
            ["enigma-cipher-machine", "difference-engine-section", "northbridge-iron-meteorite"],
        ],
    },
]

CURATOR_ADMIN = "curator-admin"
CURATOR = "demo-curator"
