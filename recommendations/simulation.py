"""A simulated museum whose visitors have hidden tastes: ground truth for the recommender.

Pure numpy, seeded, no Django. Used by the offline evaluation (``evaluation.py``) and, to
give the demo visitors believable readings, by ``demo.py``.

Every visitor has a *hidden* utility for every exhibit: their liking of its tags and of its
hall, plus the exhibit's general appeal and a little idiosyncrasy. What the recommender may
see is only what a real museum records:

- which exhibits they visited: more likely the ones they like (people walk towards what
  interests them), which include the generally appealing ones;
- dwell time: longer for exhibits they like, scaled by their own pace;
- noisy per-second emotion readings: the visitor's own resting expression (some smile all
  the time), moved by their reaction to the exhibit, scaled by how expressive they are,
  coloured by the exhibit's character (some delight, some surprise) and their own style,
  and blurred by classifier noise;
- now and then an explicit rating.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml import EMOTIONS
from recommendations.engine import ExhibitDocument, PairObservation

_E = {name: i for i, name in enumerate(EMOTIONS)}
# Resting expression of an average visitor, as probabilities: mostly neutral.
_RESTING = np.array([0.05, 0.03, 0.05, 0.15, 0.07, 0.05, 0.60])
CHARACTER_TASTE = 0.3
_FILLER = (
    "light shadow colour form story century maker collection gallery detail surface material "
    "history room window figure pattern scale line craft object museum visitor display"
).split()


@dataclass(frozen=True)
class SimulatedExhibit:
    id: int
    hall: int
    tags: tuple[str, ...]
    description: str
    appeal: float  # general appeal, shared by all visitors
    character: float  # 0: delights, 1: surprises


@dataclass(frozen=True)
class Stop:
    """One visitor at one exhibit: what the museum records."""

    exhibit: int
    dwell_seconds: float
    probabilities: np.ndarray  # (readings, 7)
    faces: np.ndarray  # (readings,) faces behind each reading
    rating: int | None


@dataclass
class Simulation:
    exhibits: list[SimulatedExhibit]
    halls: list[str]
    utility: np.ndarray  # (visitors, exhibits), hidden
    stops: list[list[Stop]]  # per visitor, in the order of their visits
    loved_threshold: float
    seed: int
    smilers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def visitor_count(self) -> int:
        return len(self.stops)

    def documents(self) -> list[ExhibitDocument]:
        return [
            ExhibitDocument(
                exhibit=e.id, hall=self.halls[e.hall], tags=e.tags, description=e.description
            )
            for e in self.exhibits
        ]

    def hall_of(self) -> dict[int, str]:
        return {e.id: self.halls[e.hall] for e in self.exhibits}

    def loves(self, visitor: int, exhibit: int) -> bool:
        return bool(self.utility[visitor, exhibit] > self.loved_threshold)


def observe(visitor: int, stops: list[Stop]) -> list[PairObservation]:
    """Aggregate a visitor's stops the way the database does (sums weighted by faces)."""
    out = []
    for stop in stops:
        sums = (stop.probabilities * stop.faces[:, None]).sum(axis=0)
        out.append(
            PairObservation(
                visitor=visitor,
                exhibit=stop.exhibit,
                readings=len(stop.faces),
                faces=float(stop.faces.sum()),
                sums=tuple(float(x) for x in sums),
                dwell_seconds=stop.dwell_seconds,
                rating=stop.rating,
            )
        )
    return out


def build_museum(
    *, rng: np.random.Generator, halls: int, exhibits: int, tags_per_hall: int = 5
) -> tuple[list[str], list[SimulatedExhibit], list[str]]:
    hall_names = [f"hall-{h}" for h in range(halls)]
    hall_tags = [[f"theme-{h}-{t}" for t in range(tags_per_hall)] for h in range(halls)]
    shared_tags = [f"motif-{t}" for t in range(max(3, halls + 1))]
    all_tags = [tag for pool in hall_tags for tag in pool] + shared_tags
    items = []
    for i in range(exhibits):
        hall = i % halls
        own = rng.choice(hall_tags[hall], size=rng.integers(1, 3), replace=False).tolist()
        extra = [str(rng.choice(shared_tags))] if rng.random() < 0.6 else []
        tags = tuple(sorted(set(own + extra)))
        # Descriptions mention the themes in words, drowned in filler: a weak content signal.
        words = [w for tag in tags for w in tag.split("-")[:1]] + rng.choice(
            _FILLER, size=12
        ).tolist()
        rng.shuffle(words)
        items.append(
            SimulatedExhibit(
                id=i,
                hall=hall,
                tags=tags,
                description=" ".join(words),
                appeal=float(rng.normal(0, 0.5)),
                character=float(rng.beta(2, 2)),
            )
        )
    return hall_names, items, all_tags


@dataclass(frozen=True)
class Visitors:
    """Simulated visitors: hidden utilities and the traits that shape what we observe."""

    utility: np.ndarray  # (visitors, exhibits) by position in the museum list, hidden
    base_logits: np.ndarray  # (visitors, 7) resting expression
    smilers: np.ndarray  # (visitors,) bool: resting expression is a smile
    expressiveness: np.ndarray  # (visitors,) how far a reaction moves the face
    style: np.ndarray  # (visitors,) 0: shows delight, 1: shows surprise
    pace: np.ndarray  # (visitors,) dwell time multiplier


def draw_visitors(
    *, rng: np.random.Generator, museum: list[SimulatedExhibit], halls: int, count: int
) -> Visitors:
    """Hidden tastes and visible traits of ``count`` visitors of ``museum``."""
    all_tags = sorted({tag for e in museum for tag in e.tags})
    tag_index = {tag: i for i, tag in enumerate(all_tags)}
    # Hidden tastes: one to three interests among the tags (common themes are more often
    # someone's interest), sometimes a disliked theme, a mild leaning per hall.
    tags_matrix = np.zeros((len(museum), len(all_tags)))
    for position, e in enumerate(museum):
        tags_matrix[position, [tag_index[t] for t in e.tags]] = 1.0
    tag_share = (tags_matrix.sum(axis=0) + 1) / (tags_matrix.sum() + len(all_tags))
    taste = rng.normal(0, 0.15, size=(count, len(all_tags)))
    for v in range(count):
        interests = rng.choice(len(all_tags), size=rng.integers(1, 4), replace=False, p=tag_share)
        taste[v, interests] += rng.uniform(0.8, 1.6, size=len(interests))
        if rng.random() < 0.5:
            taste[v, rng.integers(len(all_tags))] -= 1.0
    hall_taste = rng.normal(0, 0.3, size=(count, halls))
    # Some visitors seek surprise (demonstrations, oddities), others delight.
    character_taste = rng.normal(0, CHARACTER_TASTE, size=count)
    character = np.array([e.character for e in museum])
    appeal = np.array([e.appeal for e in museum])
    hall_of = np.array([e.hall for e in museum])
    utility = (
        taste @ tags_matrix.T
        + hall_taste[:, hall_of]
        + 0.4 * appeal
        + np.outer(character_taste, 2 * character - 1)
        + rng.normal(0, 0.3, size=(count, len(museum)))
    )
    # Visible traits: resting expression, expressiveness, style, pace.
    base_logits = np.log(_RESTING) + rng.normal(0, 0.3, size=(count, len(EMOTIONS)))
    smilers = rng.random(count) < 0.25
    base_logits[smilers, _E["happy"]] += 1.5
    return Visitors(
        utility=utility,
        base_logits=base_logits,
        smilers=smilers,
        expressiveness=np.clip(rng.lognormal(0, 0.5, size=count), 0.2, 4.0),
        style=rng.beta(2, 2, size=count),
        pace=rng.lognormal(0, 0.3, size=count),
    )


def observe_stop(
    *,
    rng: np.random.Generator,
    visitors: Visitors,
    visitor: int,
    position: int,
    exhibit: SimulatedExhibit,
    reading_noise: float = 0.9,
    rating_rate: float = 0.08,
    dwell_seconds: float | None = None,
) -> Stop:
    """What the museum records when ``visitor`` stops at the exhibit at ``position``.

    ``dwell_seconds`` replaces the simulated dwell time (the demo replays real visits).
    """
    u = float(visitors.utility[visitor, position])
    dwell = float(60 * visitors.pace[visitor] * np.exp(0.35 * u + rng.normal(0, 0.4)))
    if dwell_seconds is not None:
        dwell = float(dwell_seconds)
    n = int(np.clip(1 + rng.poisson(dwell / 25), 1, 40))
    direction = np.zeros(len(EMOTIONS))
    if u > 0:
        surprise = 0.5 * visitors.style[visitor] + 0.5 * exhibit.character
        direction[_E["happy"]] = 1.3 * (1 - surprise)
        direction[_E["surprise"]] = 1.3 * surprise
    else:
        direction[_E["neutral"]] = 0.7
        direction[_E["sad"]] = 0.3
        direction[_E["disgust"]] = 0.2
    logits = (
        visitors.base_logits[visitor]
        + visitors.expressiveness[visitor] * abs(u) * direction
        + rng.normal(0, reading_noise, size=(n, len(EMOTIONS)))
    )
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    faces = np.where(rng.random(n) < 0.1, 2, 1)
    rating = None
    if rng.random() < rating_rate:
        rating = int(np.clip(round(3 + 1.3 * u + rng.normal(0, 0.5)), 1, 5))
    return Stop(
        exhibit=exhibit.id,
        dwell_seconds=round(dwell),
        probabilities=probabilities,
        faces=faces,
        rating=rating,
    )


def choose_exhibits(
    *, rng: np.random.Generator, visitors: Visitors, visitor: int, count: int
) -> np.ndarray:
    """Positions of ``count`` exhibits the visitor walks to, in the order of their visits.

    Gumbel top-k: sampling without replacement with probability proportional to
    exp(utility), so liked exhibits are likelier, but not certain, to be visited.
    """
    keys = visitors.utility[visitor] + rng.gumbel(size=visitors.utility.shape[1])
    chosen = np.argsort(-keys)[:count]
    rng.shuffle(chosen)
    return chosen


def simulate(
    *,
    visitors: int = 400,
    exhibits: int = 60,
    halls: int = 5,
    seed: int = 0,
    min_seen: int = 6,
    max_seen: int = 18,
    reading_noise: float = 0.9,
    rating_rate: float = 0.08,
    loved_share: float = 0.3,
) -> Simulation:
    """Simulate ``visitors`` visitors with hidden tastes visiting a museum.

    ``loved_share`` of all (visitor, exhibit) utilities lie above the "loved" threshold,
    which the evaluation uses as ground truth.
    """
    if visitors < 1 or exhibits < 2 or halls < 1:
        raise ValueError("Need at least one visitor, two exhibits and one hall.")
    rng = np.random.default_rng(seed)
    hall_names, items, _ = build_museum(rng=rng, halls=halls, exhibits=exhibits)
    crowd = draw_visitors(rng=rng, museum=items, halls=halls, count=visitors)
    threshold = float(np.quantile(crowd.utility, 1 - loved_share))

    stops: list[list[Stop]] = []
    for v in range(visitors):
        count = int(rng.integers(min_seen, min(max_seen, exhibits) + 1))
        chosen = choose_exhibits(rng=rng, visitors=crowd, visitor=v, count=count)
        stops.append(
            [
                observe_stop(
                    rng=rng,
                    visitors=crowd,
                    visitor=v,
                    position=int(e),
                    exhibit=items[e],
                    reading_noise=reading_noise,
                    rating_rate=rating_rate,
                )
                for e in chosen
            ]
        )
    return Simulation(
        exhibits=items,
        halls=hall_names,
        utility=crowd.utility,
        stops=stops,
        loved_threshold=threshold,
        seed=seed,
        smilers=crowd.smilers,
    )
