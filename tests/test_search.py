"""Search by meaning on the browse pages (issue 14 item 8): tag labels and glossary words find the
tagged demands and providers, ranked by relevance, with the matched words marked and escaped."""
from __future__ import annotations

import re

import pytest

from tests.conftest import make_demand, make_offering, make_org, term

WORLD_DEMANDS = [
    # (title, description, scenarios)
    ("数控机床主轴健康管理", "希望在设备坏之前收到提醒，减少非计划停机。", ["predictive_maintenance"]),
    ("车间订单太多排不过来", "计划员靠 Excel 派工，插单时经常延误交期。", ["smart_scheduling"]),
    ("铸件外观缺陷识别", "铸件表面有砂眼和气孔，人工目检漏检多。", ["online_inspection"]),
    ("园区用电分析", "电费高，想知道哪些设备最耗电。", ["energy_optimization"]),
]
WORLD_PROVIDERS = [
    # (provider, offering title, summary, scenarios)
    ("齐鲁设备健康科技", "振动监测与寿命预测平台", "旋转设备状态监测", ["predictive_maintenance"]),
    ("潍坊排程软件", "APS 高级计划排程", "面向离散制造的计划优化", ["smart_scheduling"]),
    ("青岛慧眼智能", "工业相机缺陷识别系统", "铸造件表面缺陷识别", ["online_inspection"]),
]


@pytest.fixture
def world(db):
    firm = make_org("manufacturer", name="潍坊机械")
    demands = {title: make_demand(firm, title=title, description=text, scenarios=scenarios)
               for title, text, scenarios in WORLD_DEMANDS}
    for name, title, summary, scenarios in WORLD_PROVIDERS:
        make_offering(make_org("provider", name=name), title=title, summary=summary, description="", scenarios=scenarios)
    make_org("provider", name="没有发布方案的服务商")
    db.session.commit()
    return demands


def titles(html: str, testid: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(rf'data-testid="{testid}">(.*?)</(?:span|a)>', html)]


@pytest.mark.parametrize("q,demand,provider", [
    ("预测性维护", "数控机床主轴健康管理", "齐鲁设备健康科技"),
    ("智能排产", "车间订单太多排不过来", "潍坊排程软件"),
    ("视觉检测", "铸件外观缺陷识别", "青岛慧眼智能"),
    ("predictive maintenance", "数控机床主轴健康管理", "齐鲁设备健康科技"),
])
def test_a_scenario_named_in_the_query_finds_the_tagged_demands_and_providers(client, world, q, demand, provider):
    """None of these words is in the items' text: the tag they carry is what matches."""
    assert titles(client.get("/demands/", query_string={"q": q}).get_data(as_text=True), "demand-title") == [demand]
    assert titles(client.get("/providers/", query_string={"q": q}).get_data(as_text=True), "provider-name") == [provider]


def test_words_are_matched_by_the_analyzer_not_as_one_substring(client, db, world):
    """“缺陷识别 铸件” is not a substring of anything; its words are."""
    html = client.get("/demands/", query_string={"q": "铸件 识别缺陷"}).get_data(as_text=True)
    assert titles(html, "demand-title") == ["铸件外观缺陷识别"]


def test_results_are_ranked_by_relevance_with_filters_and_paging(client, db, world):
    firm = make_org("manufacturer", name="淄博化工")
    make_demand(firm, title="反应釜温度控制", description="泵靠定期维护，寿命预测不准。", scenarios=["process_optimization"])
    make_demand(firm, title="空压机预测性维护", description="空压机需要预测性维护。", scenarios=["predictive_maintenance"])
    db.session.commit()
    html = client.get("/demands/", query_string={"q": "预测性维护"}).get_data(as_text=True)
    # tag + title + text first, tag only next, then words in the text only (预测 … 维护)
    assert titles(html, "demand-title") == ["空压机预测性维护", "数控机床主轴健康管理", "反应釜温度控制"]
    assert '<option value="relevance" selected>' in html
    # an explicit order still applies, and filters combine with the search
    newest = client.get("/demands/", query_string={"q": "预测性维护", "sort": "newest"}).get_data(as_text=True)
    assert titles(newest, "demand-title") == ["空压机预测性维护", "反应釜温度控制", "数控机床主轴健康管理"]
    other = client.get("/demands/", query_string={"q": "预测性维护", "scenario": "process_optimization"}).get_data(as_text=True)
    assert titles(other, "demand-title") == ["反应釜温度控制"]


def test_paging_through_ranked_results(client, db, world):
    firm = make_org("manufacturer", name="淄博化工")
    for i in range(6):
        make_demand(firm, title=f"第{i}台设备", description="需要预测性维护" * (i + 1), scenarios=["predictive_maintenance"])
    db.session.commit()
    pages = [titles(client.get("/demands/", query_string={"q": "预测性维护", "per_page": 5, "page": n}).get_data(as_text=True),
                    "demand-title") for n in (1, 2)]
    assert len(pages[0]) == 5 and len(pages[1]) == 2 and not set(pages[0]) & set(pages[1])
    assert pages[1][-1] == "数控机床主轴健康管理"  # tag only, no words: last


def test_matched_words_are_marked_and_a_hostile_title_stays_escaped(client, db, world):
    firm = make_org("manufacturer", name="测试企业")
    make_demand(firm, title='<script>alert("x")</script>缺陷检测', description="<b>缺陷</b> & 检测", scenarios=[])
    db.session.commit()
    html = client.get("/demands/", query_string={"q": "缺陷检测"}).get_data(as_text=True)
    assert "<script>alert" not in html
    assert '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;<mark>缺陷检测</mark>' in html
    assert "<b>" not in html  # the description is shown as text, not markup
    # the tag the query names is marked on the chips of tagged demands
    assert "<mark>在线智能检测</mark>" in html


def test_highlight_marks_every_token_and_escapes_the_rest(app):
    from marketplace.search import highlight, parse, snippet

    with app.test_request_context():
        found = parse("视觉检测")
        assert str(highlight("<i>视觉</i>缺陷检测", found)) == "&lt;i&gt;<mark>视觉</mark>&lt;/i&gt;缺陷<mark>检测</mark>"
        assert str(highlight("Defects & 检测", parse("defect"))) == "<mark>Defect</mark>s &amp; 检测"
        long = "前言" * 100 + "视觉检测" + "结尾" * 100
        cut = str(snippet(long, found, width=40))
        assert cut.startswith("…") and cut.endswith("…") and "<mark>视觉检测</mark>" in cut
        assert str(highlight("无关", None)) == "无关"


def test_english_interface_searches_by_the_english_label(client, world):
    client.post("/language", data={"locale": "en", "next": "/"})
    html = client.get("/providers/", query_string={"q": "smart production scheduling"}).get_data(as_text=True)
    assert titles(html, "provider-name") == ["潍坊排程软件"]


@pytest.mark.parametrize("url", ["/demands/?q=预测性维护", "/providers/?q=视觉检测", "/providers/?q=predictive+maintenance"])
def test_a_search_makes_the_same_number_of_queries_for_more_matches(client, db, world, url):
    from tests.test_page_queries import count_queries

    def measure() -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    measure()  # warm: the glossaries are built once per process
    few = measure()
    firm = make_org("manufacturer", name="更多企业")
    for i in range(8):
        make_demand(firm, title=f"设备{i}预测性维护", scenarios=["predictive_maintenance"])
        make_offering(make_org("provider", name=f"视觉服务商{i}"), title=f"视觉检测{i}",
                      scenarios=["online_inspection", "predictive_maintenance"])
    db.session.commit()
    measure()  # the commit expired what the session held: reloaded once
    assert measure() == few


def test_a_term_only_one_word_of_the_query_names_ranks_below_the_term_the_query_names(client, db, world):
    """“maintenance” is part of the stage “Maintenance and service”: such demands come after those
    tagged “Predictive maintenance”."""
    make_demand(make_org("manufacturer", name="运维企业"), title="售后服务派单", description="上门服务排队。", scenarios=[],
                stage_id=term("stage", "maintenance_service").id)
    db.session.commit()
    found = titles(client.get("/demands/", query_string={"q": "predictive maintenance"}).get_data(as_text=True),
                   "demand-title")
    assert found == ["数控机床主轴健康管理", "售后服务派单"]
