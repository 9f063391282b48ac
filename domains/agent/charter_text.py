"""The whole charter as the agent reads it: every section the operator wrote, not a digest.

Mission, scope, hard limits, decision rights, escalation triggers, privacy rules, required
context (what the agent should ask for when it is missing), default outputs, what each status
doc heading means here, and what each headline colour promises — so `set_headline` picks a
colour by the charter's own criteria, not by the model's taste.
"""

from __future__ import annotations

from orchestrator.charters import Charter


def charter_text(charter: Charter) -> str:
    lines = [f"You are the {charter.title} domain ({charter.name}). Mission: {charter.mission}"]
    for heading, items in _sections(charter):
        if items:
            lines.append(f"\n## {heading}")
            lines.extend(f"- {item}" for item in items)
    lines.append(f"\nCharter version {charter.version}.")
    return "\n".join(lines)


def _sections(charter: Charter) -> list[tuple[str, list[str]]]:
    rights = charter.decision_rights
    return [
        ("In scope", charter.in_scope),
        ("Out of scope (decline, and say who handles it)", charter.out_of_scope),
        (
            "Hard limits (decline with the reason)",
            [b.description for b in charter.routing.boundaries],
        ),  # fmt: skip
        ("Decision rights: you may decide alone", rights.may_decide_alone),
        (
            "Decision rights: needs the operator's approval (use propose_action)",
            rights.needs_approval,
        ),  # fmt: skip
        ("Escalate to the operator when", charter.escalation_triggers),
        ("Privacy rules", charter.privacy_rules),
        (
            "Required context (ask for what is missing; keep what you learn as profile facts)",
            charter.required_context,
        ),  # fmt: skip
        ("Default outputs", charter.default_outputs),
        ("Status doc headings here", _doc_headings(charter)),
        ("Headline (one line on the shared board)", _headline(charter)),
    ]


def _doc_headings(charter: Charter) -> list[str]:
    doc = charter.status_doc
    kpis = ", ".join(doc.kpis) or "none set"
    return [
        f"Current phase: {doc.current_phase}",
        f"Active sprint: {doc.active_sprint}",
        f"Latest decision: {doc.latest_decision}",
        f"Top 3 next steps: {doc.top_next_steps}",
        f"Blockers: {doc.blockers}",
        f"KPIs: {kpis}",
        f"Update protocol: {doc.update_protocol}",
    ]


def _headline(charter: Charter) -> list[str]:
    h = charter.headline
    return [
        f"Format: {h.format}",
        f"green: {h.green}",
        f"yellow: {h.yellow}",
        f"red: {h.red}",
    ]
