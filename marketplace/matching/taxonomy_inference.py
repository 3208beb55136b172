"""Scenario inference from plain text, so an SME's words ("砂眼", "老是停机") reach a vendor's
vocabulary ("视觉缺陷检测", "预测性维护").

A curated glossary maps plain-language and vendor terms to scenario codes. The app passes the
scenario taxonomy (seeds/taxonomies/scenarios.json entries: code, zh, en, keywords); the
built-in vendor vocabulary below is merged into it. Terms shared by several scenarios count
less; short Han terms count less than specific ones.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from .text import _stem, clean

# Vendor-side vocabulary per scenario, complementing the taxonomy's plain-language keywords.
VENDOR_TERMS: dict[str, str] = {
    "online_inspection": "疵点 瑕疵 验布 次品 不良品 挑出来 人工挑 灯检 看片 评片 porosity pores scratches dents burrs by_eye visual_check 机器视觉 视觉检测 缺陷检测 表面检测 外观检测 工业相机 深度学习 质检 AI质检 检测系统 良品 不良品 "
    "machine_vision visual_inspection defect_detection defect inspection anomaly_detection",
    "fault_diagnosis": "毛病 修不好 找不到毛病 报警代码 recurring_breakdown breakdowns root_cause troubleshoot 故障诊断 故障 诊断 专家系统 知识图谱 报警分析 根因分析 维修知识 diagnosis diagnostic fault failure",
    "predictive_maintenance": "刀具寿命 换刀 坏了才 提前知道 快要坏 tool_wear remaining_life before_failure unplanned_downtime early_warning 预测性维护 健康管理 PHM 振动分析 剩余寿命 设备健康 状态监测 故障预警 "
    "predictive_maintenance condition_monitoring vibration_analysis",
    "smart_scheduling": "派活 派工 排计划 计划员 rush_order rush_orders planner production_plan 智能排产 高级排程 APS 排产优化 生产调度 运筹优化 MES scheduling optimization dispatch",
    "energy_optimization": "省电 电费高 用电多 electricity_bill power_consumption 能源管理 能耗监测 能耗优化 节能 碳管理 负荷预测 EMS energy management efficiency",
    "safety_warning": "安全预警 视频分析 行为识别 安全帽识别 烟火识别 危险区域 AI视频 safety video analytics PPE",
    "industry_llm": "chatgpt 聊天 像聊天 问答 plain_language 大模型 行业大模型 知识问答 语料 私有化部署 检索增强 智能体 LLM GPT agent",
    "process_optimization": "淬火 硬度 调参数 凭经验调 hardness quench recipe yield 工艺优化 参数优化 机理模型 软测量 良率提升 质量预测 yield process optimization parameter",
    "quality_traceability": "质量追溯 全流程追溯 SPC 质量管理 MES traceability quality management",
    "smart_warehouse": "找料 对不上 盘点 stock_count 智能仓储 WMS 立体仓库 库存管理 warehouse inventory storage",
    "supply_chain_planning": "供应链 采购 物料需求 MRP 计划 supply chain procurement",
    "digital_twin": "大屏 立体 三维 看到整个工厂 实时情况 layout takt 数字孪生 三维建模 仿真 可视化 digital twin simulation 3D",
    "robot_vision": "乱堆 抓取 上下料 bin 机器人 视觉引导 3D相机 抓取 上下料 robot guidance grasping",
    "agv_logistics": "AGV AMR 移动机器人 物流 搬运 调度 mobile robot logistics",
    "rd_design_assist": "研发设计 生成式设计 仿真 CAE 配方 design simulation generative",
    "smart_customer_service": "回消息 没人回 回复客户 询价 warranty_questions tickets 智能客服 对话机器人 问答 chatbot customer service",
    "document_knowledge": "知识库 文档 OCR 知识管理 检索 knowledge base document retrieval",
    "demand_forecasting": "需求预测 销量预测 时间序列 forecasting forecast demand",
    "environmental_monitoring": "环保监测 排放监测 VOCs 在线监测 emission monitoring environmental",
    "equipment_monitoring": "设备联网 数据采集 物联网 IoT OEE 工业互联网 SCADA monitoring IIoT",
    "intelligent_welding": "焊工 焊得 焊出来 welders welding 焊接 焊缝 焊接机器人 焊缝跟踪 welding weld seam",
    "sorting_packaging": "分拣 包装 码垛 sorting packaging palletizing",
    "process_safety_chemical": "过程安全 先进控制 APC DCS 化工 process control chemical",
    "visual_counting_measurement": "卡尺 数根数 点数 calipers diameter 视觉测量 计数 尺寸测量 counting measurement metrology",
    "sales_marketing_ai": "营销 获客 报价 marketing sales lead",
}

_LATIN_RE = re.compile(r"^[a-z0-9][a-z0-9 .+&/-]*$")
_LATIN_WORD_RE = re.compile(r"[a-z0-9]+")
_HAN_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def _latin_key(term: str) -> str:
    """English terms are matched word by word on stems ("defects" finds "defect")."""
    return " ".join(_stem(w) for w in _LATIN_WORD_RE.findall(term))


@dataclass(frozen=True)
class ScenarioGuess:
    code: str
    confidence: float  # 0..1
    terms: tuple[str, ...]  # glossary terms found in the text (evidence for reasons)


class ScenarioInferer:
    def __init__(self, taxonomy: list[dict] | None = None, min_score: float = 0.7) -> None:
        terms_by_code: dict[str, set[str]] = defaultdict(set)
        self.labels: dict[str, tuple[str, str]] = {}
        for entry in taxonomy or []:
            code = entry["code"]
            self.labels[code] = (entry.get("zh", code), entry.get("en", code))
            keywords = entry.get("keywords") or ""
            if isinstance(keywords, str):
                keywords = keywords.split()
            terms_by_code[code].update(k.lower() for k in keywords)
            terms_by_code[code].update(t.lower() for t in (entry.get("zh"), entry.get("en")) if t)
        known = set(self.labels) or set(VENDOR_TERMS)
        for code in known:
            # "_" joins the words of a multiword English term
            terms_by_code[code].update(t.lower().replace("_", " ") for t in VENDOR_TERMS.get(code, "").split())
            self.labels.setdefault(code, (code, code))
        n_codes: dict[str, int] = defaultdict(int)
        for terms in terms_by_code.values():
            for t in terms:
                n_codes[t] += 1
        # weight: rarer across scenarios and longer = more specific evidence
        self.terms: list[tuple[str, str, float, bool]] = []
        for code, terms in terms_by_code.items():
            for t in terms:
                latin = bool(_LATIN_RE.match(t))
                if len(t) < 2 and not latin:
                    continue
                if latin:  # single English words ("root", "customer") are weak evidence
                    length_w = 1.0 if " " in t else 0.5
                else:
                    length_w = 1.0 if len(t) >= 3 else 0.7
                self.terms.append((code, t, length_w / n_codes[t], latin))
        self.min_score = min_score
        # term -> [(code, weight)]; texts are matched by looking up their substrings / word n-grams
        self._lookup: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for code, t, w, latin in self.terms:
            self._lookup[_latin_key(t) if latin else t].append((code, w))
        self._max_han = max((len(t) for _, t, _, latin in self.terms if not latin), default=2)

    @property
    def codes(self) -> list[str]:
        return sorted(self.labels)

    def han_terms(self) -> list[str]:
        """Glossary terms to teach the word segmenter."""
        return sorted({t for _, t, _, latin in self.terms if not latin})

    def predict(self, text: str, top: int = 3) -> list[ScenarioGuess]:
        body = clean(text).lower()
        if not body:
            return []
        scores: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[str]] = defaultdict(list)
        found: set[str] = set()
        for run in _HAN_RUN_RE.findall(body):
            for n in range(2, min(self._max_han, len(run)) + 1):
                found.update(run[i : i + n] for i in range(len(run) - n + 1))
        latin_words = [_stem(w) for w in _LATIN_WORD_RE.findall(body)]
        for n in (1, 2, 3):
            found.update(" ".join(latin_words[i : i + n]) for i in range(len(latin_words) - n + 1))
        for term in found & self._lookup.keys():
            for code, weight in self._lookup[term]:
                scores[code] += weight
                evidence[code].append(term)
        if not scores:
            return []
        best = max(scores.values())
        guesses = []
        for code, score in sorted(scores.items(), key=lambda kv: -kv[1]):
            # keep clear winners only: a single weak shared word is not a scenario
            if score < self.min_score or score < 0.5 * best:
                continue
            confidence = min(1.0, score / 3.0)
            terms = tuple(sorted(evidence[code], key=len, reverse=True)[:5])
            guesses.append(ScenarioGuess(code, round(confidence, 3), terms))
        return guesses[:top]
