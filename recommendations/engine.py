"""The recommender's numeric core: pure numpy / scipy / scikit-learn, no Django.

The same functions serve the web site (``selectors.py`` feeds them database aggregates,
``services.py`` stores what :func:`fit` learns) and the offline evaluation
(``evaluation.py`` feeds them a simulated museum), so what is measured is what runs.

Libraries, and why:

- **numpy** for the per-visitor profile math: grouped means and spreads over a few thousand
  (visitor, exhibit) pairs are a handful of vectorised ``bincount`` calls.
- **scipy.sparse** for the visitors × exhibits response matrices: a visitor sees a few dozen
  of hundreds of exhibits, so the matrices are mostly empty.
- **scikit-learn** for ``TfidfVectorizer`` (tokenising, IDF weighting and L2 normalisation
  of tags and descriptions) and ``cosine_similarity``, which works on sparse matrices
  directly. Hand-written versions of both are easy to get subtly wrong (IDF smoothing,
  zero-norm rows); a recommender library (implicit, LightFM) would add a compiled
  dependency for matrix factorisation, which does not beat item-item neighbours at a
  museum's scale (hundreds of exhibits) and cannot explain itself in one sentence.

Model, in short:

1. *Profile*: a visitor's mean emotion distribution at each exhibit minus their own baseline
   (their mean over all exhibits), in units of how much their reactions usually vary from
   exhibit to exhibit: an always-smiling visitor is not "delighted" by everything, and a
   poker face that moves a little counts as much as an expressive one. Combined with
   dwell time (relative to the visitor's median) and explicit ratings into one *affinity*.
2. *Item-item neighbours* per channel: ``affinity`` (collaborative: visitors who enjoyed X
   also enjoyed Y), one channel per response emotion (visitors surprised by X were also
   surprised by Y) and ``content`` (TF-IDF over tags, hall and description).
3. *Scoring*: each seen exhibit X votes for its neighbours Y with ``similarity × how X
   moved this visitor``; votes are averaged over the history, blended with popularity (the
   only signal for a cold start), then re-ranked for diversity across halls. The largest
   single vote becomes the reason shown to the visitor.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ml import EMOTIONS

# scipy and scikit-learn are imported inside the fitting functions: web pages import this
# module for scoring only and should not pay for loading them.

# Circumplex coordinates (valence, arousal) of each emotion, after Russell's circumplex
# model of affect as commonly placed in facial-expression work: valence runs from
# unpleasant (-1) to pleasant (+1), arousal from calm (-1) to excited (+1).
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "angry": (-0.6, 0.7),
    "disgust": (-0.7, 0.3),
    "fear": (-0.6, 0.6),
    "happy": (0.8, 0.5),
    "sad": (-0.7, -0.4),
    "surprise": (0.4, 0.8),
    "neutral": (0.0, 0.0),
}
VALENCE = np.array([CIRCUMPLEX[name][0] for name in EMOTIONS])
AROUSAL = np.array([CIRCUMPLEX[name][1] for name in EMOTIONS])
# "Delight": pleasant first, excited second. The direction in emotion space along which a
# reaction counts as enjoying an exhibit.
DELIGHT = VALENCE + 0.5 * AROUSAL

# Emotions whose item-item similarity becomes a channel of its own, with the words used to
# explain it ("visitors who were surprised by X ..."). Anger and disgust are not things a
# visitor asks for more of; neutral is the absence of a response.
RESPONSE_EMOTIONS: dict[str, tuple[str, str]] = {
    # emotion: (participle for "visitors who were ___ by X", clause for "X, which ___ you")
    "happy": ("delighted", "delighted"),
    "surprise": ("surprised", "surprised"),
    "sad": ("moved", "moved"),
    "fear": ("gripped", "gripped"),
}
AFFINITY = "affinity"
CONTENT = "content"
CHANNELS: tuple[str, ...] = (AFFINITY, *RESPONSE_EMOTIONS, CONTENT)

_EMOTION_INDEX = {name: i for i, name in enumerate(EMOTIONS)}

# Profile constants. The spread prior keeps a visitor with two exhibits from having every
# response come out as exactly +-1 spread: it acts like PRIOR_PAIRS extra exhibits whose
# difference from the baseline is PRIOR_SPREAD (a typical exhibit-to-exhibit variation of
# mean probabilities in our readings).
PRIOR_SPREAD = 0.05
PRIOR_PAIRS = 2.0
# A single reading at an exhibit says less than twenty: emotion evidence is shrunk by
# readings / (readings + READING_PRIOR).
READING_PRIOR = 1.0
DWELL_CLIP = 2.0  # log2 of dwell relative to the median, clipped to [-2, 2] (4x either way)
DWELL_WEIGHT = 0.5
HIDDEN_AFFINITY = -3.0  # hiding an exhibit is the strongest "no" a visitor can give


@dataclass(frozen=True)
class PairObservation:
    """What is known about one visitor at one exhibit, aggregated (as SQL returns it).

    ``faces`` is the sum of ``face_count`` over the readings and ``sums`` the sums of
    ``face_count × probability`` per emotion (in ``EMOTIONS`` order), so the face-weighted
    mean is ``sums / faces``.
    """

    visitor: int
    exhibit: int
    readings: int = 0
    faces: float = 0.0
    sums: tuple[float, ...] = (0.0,) * len(EMOTIONS)
    dwell_seconds: float = 0.0
    rating: int | None = None
    hidden: bool = False


@dataclass(frozen=True)
class Response:
    """How one exhibit moved one visitor, relative to that visitor's own baseline."""

    exhibit: int
    readings: int
    mean: np.ndarray  # (7,) face-weighted mean probabilities; zeros without readings
    difference: np.ndarray  # (7,) mean minus the visitor's baseline
    z: np.ndarray  # (7,) difference in units of the visitor's usual spread
    delight: float  # z along DELIGHT, shrunk by the number of readings
    dwell_log2: float  # log2(dwell / visitor's median dwell), clipped; 0 when unknown
    rating: int | None
    hidden: bool
    affinity: float  # delight + DWELL_WEIGHT * dwell_log2 + (rating - 3), or HIDDEN_AFFINITY

    def strongest_emotion(self, *, threshold: float = 0.5) -> str | None:
        """The response emotion furthest above the visitor's baseline, if clearly above."""
        best, best_z = None, threshold
        for name in RESPONSE_EMOTIONS:
            value = float(self.z[_EMOTION_INDEX[name]])
            if value > best_z:
                best, best_z = name, value
        return best


@dataclass(frozen=True)
class Profile:
    """A visitor's emotional profile: their baseline and their response to each exhibit."""

    visitor: int
    baseline: np.ndarray  # (7,) face-weighted mean over all their readings
    spread: np.ndarray  # (7,) usual exhibit-to-exhibit variation (with the prior)
    responses: dict[int, Response] = field(default_factory=dict)

    @property
    def has_readings(self) -> bool:
        return any(response.readings for response in self.responses.values())


def empty_profile(visitor: int) -> Profile:
    """The profile of a visitor we know nothing about yet (the cold start)."""
    return Profile(
        visitor=visitor,
        baseline=np.zeros(len(EMOTIONS)),
        spread=np.full(len(EMOTIONS), PRIOR_SPREAD),
    )


def profiles_from(observations: Iterable[PairObservation]) -> dict[int, Profile]:
    """Turn aggregated observations into one :class:`Profile` per visitor."""
    by_visitor: dict[int, list[PairObservation]] = defaultdict(list)
    for pair in observations:
        by_visitor[pair.visitor].append(pair)
    return {visitor: _profile(visitor, pairs) for visitor, pairs in by_visitor.items()}


def _profile(visitor: int, pairs: Sequence[PairObservation]) -> Profile:
    faces = np.array([pair.faces for pair in pairs], dtype=float)
    sums = np.array([pair.sums for pair in pairs], dtype=float).reshape(len(pairs), -1)
    with_readings = faces > 0
    means = np.zeros_like(sums)
    means[with_readings] = sums[with_readings] / faces[with_readings, None]

    total = faces.sum()
    baseline = sums.sum(axis=0) / total if total > 0 else np.zeros(len(EMOTIONS))
    differences = np.where(with_readings[:, None], means - baseline, 0.0)
    count = int(with_readings.sum())
    spread = _spread(differences[with_readings], count)
    delight_diff = differences @ DELIGHT
    delight_spread = _spread(delight_diff[with_readings], count)

    readings = np.array([pair.readings for pair in pairs], dtype=float)
    reliability = readings / (readings + READING_PRIOR)
    dwell_log2 = _dwell_log2(np.array([pair.dwell_seconds for pair in pairs], dtype=float))

    responses = {}
    for i, pair in enumerate(pairs):
        delight = float(delight_diff[i] / delight_spread * reliability[i])
        if pair.hidden:
            affinity = HIDDEN_AFFINITY
        else:
            affinity = delight + DWELL_WEIGHT * float(dwell_log2[i])
            if pair.rating is not None:
                affinity += pair.rating - 3
        responses[pair.exhibit] = Response(
            exhibit=pair.exhibit,
            readings=pair.readings,
            mean=means[i],
            difference=differences[i],
            z=differences[i] / spread,
            delight=delight,
            dwell_log2=float(dwell_log2[i]),
            rating=pair.rating,
            hidden=pair.hidden,
            affinity=affinity,
        )
    return Profile(visitor=visitor, baseline=baseline, spread=spread, responses=responses)


def _spread(differences: np.ndarray, count: int) -> np.ndarray | float:
    """Root mean square of the differences, pulled towards PRIOR_SPREAD for small samples."""
    squares = np.square(differences).sum(axis=0) if count else 0.0
    return np.sqrt((squares + PRIOR_PAIRS * PRIOR_SPREAD**2) / (count + PRIOR_PAIRS))


def _dwell_log2(dwell: np.ndarray) -> np.ndarray:
    known = dwell > 0
    if not known.any():
        return np.zeros_like(dwell)
    median = float(np.median(dwell[known]))
    out = np.zeros_like(dwell)
    out[known] = np.clip(np.log2(dwell[known] / median), -DWELL_CLIP, DWELL_CLIP)
    return out


# --- Learning item-item neighbours --------------------------------------------------------


@dataclass(frozen=True)
class ExhibitDocument:
    """What the content channel knows about an exhibit."""

    exhibit: int
    hall: str
    tags: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Neighbour:
    exhibit: int
    score: float
    support: int  # visitors behind a collaborative score; shared tags for content


@dataclass
class Model:
    """What :func:`fit` learns: top neighbours per channel and a popularity per exhibit."""

    neighbours: dict[str, dict[int, list[Neighbour]]] = field(default_factory=dict)
    popularity: dict[int, float] = field(default_factory=dict)  # 0..1

    def neighbours_of(self, channel: str, exhibit: int) -> list[Neighbour]:
        return self.neighbours.get(channel, {}).get(exhibit, [])


# Walking up to an exhibit is itself mild evidence of interest (implicit feedback): it is
# added to the affinity of every seen exhibit when it votes, and to the centred affinities
# the collaborative channel compares, so that "visited together" counts as well as "enjoyed
# together". Measured in evaluation.py: without it NDCG@5 drops by about a tenth.
VISIT_EVIDENCE = 1.0
# Shrinkage of collaborative similarities: sim × n / (n + SHRINK) for n co-visitors, so two
# exhibits seen together by two visitors do not look as related as ones seen by fifty.
SHRINK = 20.0
MIN_SIMILARITY = 0.02
TAG_WEIGHT = 0.75  # content: tags and hall vs. description words


def fit(
    *,
    profiles: Mapping[int, Profile],
    documents: Sequence[ExhibitDocument],
    popularity_counts: Mapping[int, float],
    k: int = 20,
) -> Model:
    """Learn item-item neighbours (collaborative, emotional, content) and popularity."""
    exhibit_ids = sorted({doc.exhibit for doc in documents})
    model = Model(popularity=popularity_from(popularity_counts))
    collaborative = collaborative_similarities(profiles=profiles, exhibit_ids=exhibit_ids)
    for channel, (similarity, support) in collaborative.items():
        model.neighbours[channel] = top_neighbours(similarity, support, exhibit_ids, k=k)
    similarity, shared = content_similarity(documents, exhibit_ids=exhibit_ids)
    model.neighbours[CONTENT] = top_neighbours(similarity, shared, exhibit_ids, k=k)
    return model


def popularity_from(counts: Mapping[int, float]) -> dict[int, float]:
    """Visitor counts scaled to 0..1 on a log scale (one blockbuster does not flatten all)."""
    top = max(counts.values(), default=0)
    if top <= 0:
        return dict.fromkeys(counts, 0.0)
    return {exhibit: math.log1p(max(n, 0)) / math.log1p(top) for exhibit, n in counts.items()}


def collaborative_similarities(
    *, profiles: Mapping[int, Profile], exhibit_ids: Sequence[int]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Item-item cosine similarity of visitors' relative responses, per channel.

    ``affinity`` uses each visitor's affinities centred on their own mean (adjusted
    cosine); an emotion channel uses the baseline-relative z of that emotion, only where
    there were readings. Returns (similarity, co-visitor counts), both exhibits × exhibits.
    """
    from scipy import sparse
    from sklearn.metrics.pairwise import cosine_similarity

    column = {exhibit: j for j, exhibit in enumerate(exhibit_ids)}
    rows: dict[str, list[int]] = defaultdict(list)
    cols: dict[str, list[int]] = defaultdict(list)
    values: dict[str, list[float]] = defaultdict(list)
    for row, profile in enumerate(profiles.values()):
        seen = [r for r in profile.responses.values() if r.exhibit in column]
        if not seen:
            continue
        centre = float(np.mean([r.affinity for r in seen]))
        for response in seen:
            j = column[response.exhibit]
            rows[AFFINITY].append(row)
            cols[AFFINITY].append(j)
            values[AFFINITY].append(response.affinity - centre + VISIT_EVIDENCE)
            if response.readings:
                for name in RESPONSE_EMOTIONS:
                    rows[name].append(row)
                    cols[name].append(j)
                    values[name].append(float(response.z[_EMOTION_INDEX[name]]))
    shape = (max(len(profiles), 1), len(exhibit_ids))
    out = {}
    for channel in (AFFINITY, *RESPONSE_EMOTIONS):
        matrix = sparse.csr_matrix(
            (values[channel], (rows[channel], cols[channel])), shape=shape, dtype=float
        )
        mask = sparse.csr_matrix(
            (np.ones(len(rows[channel])), (rows[channel], cols[channel])), shape=shape
        )
        support = (mask.T @ mask).toarray()
        similarity = cosine_similarity(matrix.T) * support / (support + SHRINK)
        out[channel] = (similarity, support)
    return out


def content_similarity(
    documents: Sequence[ExhibitDocument], *, exhibit_ids: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity of TF-IDF vectors of tags + hall and of descriptions.

    Tags and the hall are whole tokens ("oil painting" stays one term); descriptions are
    English words without stop words. Returns (similarity, shared tag counts).
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    by_id = {doc.exhibit: doc for doc in documents}
    docs = [by_id[exhibit] for exhibit in exhibit_ids]
    if not docs:
        return np.zeros((0, 0)), np.zeros((0, 0))
    keywords = [[f"tag:{tag}" for tag in doc.tags] + [f"hall:{doc.hall}"] for doc in docs]
    tag_vectors = TfidfVectorizer(analyzer=lambda terms: terms).fit_transform(keywords)
    blocks = [TAG_WEIGHT * tag_vectors]
    if any(doc.description.strip() for doc in docs):
        words = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1)
        try:
            blocks.append((1 - TAG_WEIGHT) * words.fit_transform([d.description for d in docs]))
        except ValueError:  # only stop words: nothing to compare
            pass
    similarity = cosine_similarity(sparse.hstack(blocks).tocsr())
    tag_sets = [set(doc.tags) for doc in docs]
    shared = np.array([[len(a & b) for b in tag_sets] for a in tag_sets], dtype=float)
    return similarity, shared


def top_neighbours(
    similarity: np.ndarray, support: np.ndarray, exhibit_ids: Sequence[int], *, k: int
) -> dict[int, list[Neighbour]]:
    """The ``k`` most similar other exhibits of each exhibit (positive similarity only)."""
    out: dict[int, list[Neighbour]] = {}
    for i, exhibit in enumerate(exhibit_ids):
        row = similarity[i].copy()
        row[i] = 0.0
        order = np.argsort(-row, kind="stable")[:k]
        out[exhibit] = [
            Neighbour(exhibit=exhibit_ids[j], score=float(row[j]), support=int(support[i, j]))
            for j in order
            if row[j] > MIN_SIMILARITY
        ]
    return out


# --- Scoring ------------------------------------------------------------------------------

POPULARITY = "popularity"


@dataclass(frozen=True)
class Weights:
    """How much each signal counts. Tuned on the simulated museum (evaluation.py)."""

    affinity: float = 1.0
    emotion: float = 0.5
    content: float = 1.0
    popularity: float = 1.0


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Contribution:
    """One vote for a candidate: the signal, the seen exhibit behind it and its size."""

    kind: str  # AFFINITY, CONTENT, POPULARITY or a response emotion
    value: float
    source: int | None = None  # the seen exhibit behind it (None for popularity)
    support: int = 0


@dataclass(frozen=True)
class Scored:
    exhibit: int
    score: float
    reason: Contribution | None  # the largest positive contribution


def score_candidates(
    *,
    profile: Profile | None,
    model: Model,
    candidates: Iterable[int],
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Scored]:
    """Score every candidate for the visitor, best first (ties broken by exhibit id)."""
    candidate_set = set(candidates)
    responses = list(profile.responses.values()) if profile else []
    totals: dict[int, float] = dict.fromkeys(candidate_set, 0.0)
    best: dict[int, Contribution] = {}

    def vote(target: int, contribution: Contribution) -> None:
        totals[target] += contribution.value
        current = best.get(target)
        if contribution.value > 0 and (current is None or contribution.value > current.value):
            best[target] = contribution

    history = max(len(responses), 1)
    for response in responses:
        source = response.exhibit
        liking = response.affinity + VISIT_EVIDENCE
        share = weights.affinity * liking / history
        for n in model.neighbours_of(AFFINITY, source):
            if n.exhibit in candidate_set:
                vote(n.exhibit, Contribution(AFFINITY, n.score * share, source, n.support))
        share = weights.content * liking / history
        for n in model.neighbours_of(CONTENT, source):
            if n.exhibit in candidate_set:
                vote(n.exhibit, Contribution(CONTENT, n.score * share, source, n.support))
        if response.affinity <= 0 or not response.readings:
            continue
        for name in RESPONSE_EMOTIONS:
            strength = float(response.z[_EMOTION_INDEX[name]])
            if strength <= 0:
                continue
            share = weights.emotion * strength / history
            for n in model.neighbours_of(name, source):
                if n.exhibit in candidate_set:
                    vote(n.exhibit, Contribution(name, n.score * share, source, n.support))

    # Popularity votes with its lift over the median candidate: every exhibit gets some
    # popularity, so only what sets one apart should be able to become its reason. (Adding
    # the same constant to every score leaves the ranking as it is.)
    pops = {exhibit: model.popularity.get(exhibit, 0.0) for exhibit in candidate_set}
    median = float(np.median(list(pops.values()))) if pops else 0.0
    for exhibit, pop in pops.items():
        if pop > median:
            vote(exhibit, Contribution(POPULARITY, weights.popularity * (pop - median)))
        elif pop < median:
            totals[exhibit] -= weights.popularity * (median - pop)

    ranked = sorted(candidate_set, key=lambda exhibit: (-totals[exhibit], exhibit))
    return [Scored(exhibit, totals[exhibit], best.get(exhibit)) for exhibit in ranked]


def diversify(
    scored: Sequence[Scored], *, halls: Mapping[int, object], limit: int, max_per_hall: int
) -> list[Scored]:
    """The best ``limit`` items with at most ``max_per_hall`` from any one hall.

    Greedy, in score order; when the cap leaves the list short (the candidates are all in
    one or two halls), the best of the skipped items fill it up.
    """
    picked: list[Scored] = []
    skipped: list[Scored] = []
    per_hall: dict[object, int] = defaultdict(int)
    for item in scored:
        if len(picked) == limit:
            break
        hall = halls.get(item.exhibit)
        if per_hall[hall] < max_per_hall:
            picked.append(item)
            per_hall[hall] += 1
        else:
            skipped.append(item)
    picked.extend(skipped[: limit - len(picked)])
    return sorted(picked, key=lambda item: (-item.score, item.exhibit))


def recommend(
    *,
    profile: Profile | None,
    model: Model,
    halls: Mapping[int, object],
    limit: int,
    exclude: Collection[int] = (),
    weights: Weights = DEFAULT_WEIGHTS,
    max_per_hall: int | None = None,
) -> list[Scored]:
    """Top ``limit`` exhibits for the visitor among ``halls`` (exhibit -> hall).

    Exhibits in the visitor's history (seen, rated or hidden) and in ``exclude`` are never
    recommended. ``max_per_hall`` defaults to half the list, rounded up.
    """
    if limit <= 0:
        return []
    seen = set(profile.responses) if profile else set()
    candidates = [e for e in halls if e not in seen and e not in set(exclude)]
    scored = score_candidates(profile=profile, model=model, candidates=candidates, weights=weights)
    cap = max_per_hall if max_per_hall is not None else max(1, math.ceil(limit / 2))
    return diversify(scored, halls=halls, limit=limit, max_per_hall=cap)
