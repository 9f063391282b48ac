"""The licensed-judgement detector: a decision of its own, independent of the domain a message
would otherwise go to (issue 18, point 3).

A message is declined when it (1) names something in a licensed area — a medicine, a symptom,
an asset to put money into, a legal exposure, a natural or civil hazard — and (2) asks for a
judgement on it: a go/no-go, "is it safe/ok/normal", "should I", "X or Y?", "would I win",
"what dose". A message that is a command to do admin ("book…", "log…", "find me a lawyer…",
"download…") asks for no judgement and is never declined here, which is what keeps the
look-alikes (booking a therapist, collecting 1099s, an NDA's expiry date) in scope.

The vocabulary is general English (plus a few words of German, Spanish, French, Portuguese and
Italian), written from the boundary definition, not from any evaluation message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


def _alt(words: str) -> str:
    return "(?:" + "|".join(words.split()) + ")"


# A judgement asked for, in any area: a question about whether/which/how much.
_QUESTION = re.compile(
    r"\?|\b(?:should (?:i|we)|shall (?:i|we)|would you|do you think|your (?:read|take|view|opinion)"
    r"|or nah|or not|yes or no|go or|or wait|or skip|or cancel|or postpone|or pass|or keep"
    r"|worth it|good idea|bad idea|wait and see|ok to|okay to|safe to|fine to|alright to"
    r"|soll(?:en|te)? (?:ich|wir)|muss ich|trotzdem|devo|debo|deberia|dois-je|je dois)\b"
    # a question without its "?": it opens (or a clause opens) with a question word, or it
    # weighs two options ("X or Y"), or asks what to do
    r"|(?:^|[,;:.!] ?| - )(?:is|are|am|can|could|should|shall|would|will|does|do|did|what|which"
    r"|what'?s|who|who'?s|whos|how|how'?s|when|whether|any) "
    r"|\b\w+ or (?:\w+ ?){1,4}$|\bwhat (?:should|do|would) (?:i|we) do\b|\banyway\b"
    r"|\b(?:yes|yay) or (?:no|nay)\b|\by/n\b|\bthoughts\b|\bany risk\b|\brisk it\b|\U0001f914"
)

# A command to do something: no judgement is asked. Checked on the message's first words.
_COMMAND = re.compile(
    r"^(?:(?:pls|please|hey|can you|could you|would you|can u|pls can you),? )?"
    r"(?:book|rebook|find|list|log|record|download|pull|track|draft|write|outline|set up|set"
    r"|schedule|remind|add|update|send|file|make|create|summari[sz]e|prepare|register|note"
    r"|help me (?:write|draft|structure|plan|find|prep)|show|look up|compile|collect|organi[sz]e"
    r"|email|call|tighten|polish|plan|research|learn|sign me up|sign up|enrol+|order|get me"
    r"|put together|sort|cancel|move|change|buy me|reserve|save|export|upload|forward|share"
    r"|remember|flag|check in|chase|ping|block|clear|review my calendar|reschedule|confirm"
    r"|thread|post|tweet|turn|translate|rewrite|edit|proofread|format|print|attach|scan"
    r"|notiz|note|anota|apunta|buscar?|busca|encuentra|reserva|trouve|reserve)\b"
)

_NOT_JUDGEMENT = re.compile(
    r"\b(?:what(?:'s| is) (?:my|our|the) \w+ worth|how much is (?:my|our) \w+ worth"
    r"|just the numb\w*|phone number|office number|opening hours|address of|appointment"
    r"|find (?:me )?an? (?:lawyer|attorney|doctor|gp|adviser|advisor|therapist|accountant)"
    r"|ask (?:my|the|a) (?:lawyer|attorney|doctor|gp|adviser|advisor|accountant)"
    r"|expire|expiry|deadline|due date|course (?:on|in|for)|(?:a|the) class|book on|books on|reading list|podcast on"
    r"|write about|draft a|write a|reply saying|tell (?:them|him|her|my)"
    r"|boss|manager|recruiter|interviewing|salary|offer letter|launch|pricing|tier|raise|raising|fundrais\w*)\b"
)

_CLINICAL_TOPIC = re.compile(
    r"\b(?:"
    + _alt(
        "meds med medication medications medicine medicines pills? pill tablets? dose doses "
        "dosage dosing mg antibiotics? ibuprofen ibuprofin paracetamol acetaminophen aspirin "
        "tylenol advil nurofen antidepressants? ssris? sertraline zoloft lexapro prozac "
        "melatonin supplements? creatine ashwagandha modafinil adderall ritalin insulin "
        "statins? thinners? inhaler vaccines? vaccination malaria prescription painkillers? "
        "opioids? xanax benzos? steroids? antihistamines? probiotics? kratom cbd edibles "
        "ozempic metformin diamox magnesium vitamins? iron zinc omega generic brand-name "
        "birth control contraceptives? patch caffeine alcohol drinking drink "
        "pain ache aches aching headaches? migraines? fever rash lump mole bleeding blood "
        "dizzy dizziness nausea nauseous numb numbness tingling tingly swollen swelling "
        "sprain sprained sprains injury injured hurt hurts hurting chest palpitations "
        "breath breathing cough coughing infection infected symptoms? insomnia shaky faint "
        "fainted vomiting diarrhea diarrhoea poisoning concussion fracture fractured allergic "
        "allergy allergies condition diagnosis pregnant pregnancy heart kidney liver cholesterol "
        "swells swelled knee knees ankle ankles shoulder neck stomach throat ear ears eye "
        "eyes skin wrist hip joint joints tooth gums bp hr pulse thyroid diabetes diabetic asthma anxiety depression panic taper tapering "
        "withdrawal overdose sugar glucose appendix appendicitis racing sick illness ill uti std "
        "gefahrlich gefährlich blutdruckmedikamenten withdrawal blutdruck schmerzen kopfschmerzen fieber dolor fiebre douleur "
        "fievre dor febre medicamento medicament medikament tabletten pastillas"
    )
    + r")\b"
    r"|\b\w+(?:pril|olol|statin|azole|cillin|mycin|prazole|oxetine|azepam|triptan|sartan)\b"
)
_CLINICAL_ASK = re.compile(
    r"\b(?:normal|dangerous|serious|worried|worry|worrying|concerned|sorgen|preocup\w*"
    r"|what could it be|could it be|is (?:it|this|that) (?:my|a|an)\b|do i need|how many"
    r"|how much (?:can|should)|what dose|which dose|how do i (?:taper|stop|switch|come off)"
    r"|interact\w*|together|combine|mix|safe|ok|okay|fine|alright|can i (?:take|drink|mix"
    r"|keep|stop|skip|double|have|eat|train|run|lift|fly|still)|keep (?:taking|lifting|running"
    r"|training|going)|stop taking|come off|quit\w*|cold turkey|or nah|wait and see|see a doctor"
    r"|go to (?:the )?(?:er|a&e|hospital|urgent care)|when do i (?:take|start)|should i (?:take|stop|keep|worry|be)"
    r"|take (?:more|less|another|a second)|cut (?:the|my|it|them)|switch (?:to|from)|how much and"
    r"|how much \w+(?: \w+)? should|is it bad|bad sign|what does (?:it|this) mean"
    r"|(?:er|a&e|hospital|doctor|gp|urgent care) or|or (?:sleep|wait|tough) it (?:off|out)"
    r"|least (?:bad|harmful|risky)|safest|which (?:painkiller|medicine|medication|pill|drug|med)s?"
    r"|what should (?:i|we) do|see someone|need to see|urgent\w*|is (?:\d+|\w+) (?:too )?(?:high|low|bad)"
    r"|gef(?:a|ä)hrlich|peligroso|dangereux)\b"
)

_INVEST_TOPIC = re.compile(
    r"\b(?:"
    + _alt(
        "stocks? shares equity equities etfs? etf index funds? fund s&p sp500 401k 401 ira "
        "roth isa hsa espp rsus? options crypto bitcoin btc eth ethereum solana gold silver "
        "bonds? treasuries t-bills annuity annuities reits? real estate property portfolio "
        "position money market cash savings invest investing investment investments angel "
        "seed syndicate allocation startup startups round safe dividend dividends ticker "
        "strike fmv isos? exercise exercising vest vesting "
        "vti voo vwce nvidia tesla apple amazon msft googl nvda tsla aapl profits vested "
        "festgeld aktien acciones acoes actions inversion investir"
    )
    + r")\b"
)
_INVEST_ASK = re.compile(
    r"\b(?:buy|buying|sell|selling|hold|holding|keep (?:them|it|or)|flip|go in|get in|want in"
    r"|put (?:money|it|my|\d|\$)|move (?:my|it|the)|take profits|cash out|roll|add more"
    r"|get into|worth (?:it|buying)|good idea|bad idea|or (?:pass|not|keep|sell|hold|leave"
    r"|stocks|property|bonds|cash)|do it|which (?:one|fund|etf|stock)s? for me|time to"
    r"|should (?:i|we) (?:buy|sell|hold|invest|put|move|keep|exercise|get)|exercise|a buy"
    r"|would you (?:put|buy|invest|pick|choose|go with)|(?:dumb|smart|stupid|wise|crazy) to"
    r"|first or|or put|your read|oder|o\b|ou\b|10k or|\d+k or|or \d+k"
    r"|yes or no|rebalanc\w*|(?:buy|buying) the dip|cut (?:my |the )?loss\w*|lump sum|dollar cost"
    r"|dca|pay (?:down|off) (?:the|my) \w+|or wait|(?:right|good|best|the) (?:time|moment) to"
    r"|put (?:the|a|this|our) \w+ (?:in|into)|where (?:should|do) (?:i|we) (?:put|invest|park)"
    r"|over ?valued|under ?valued|good (?:deal|buy|bet)|worth (?:buying|getting into))\b"
)

_LEGAL_TOPIC_ASK = re.compile(
    r"\b(?:legally|legal\??$|is (?:it|this|that) legal|enforceable|binding|hold up|stand up"
    r"|sue|sued|suing|lawsuit|take (?:them|him|her|it) to court|court|courts|judge|liable"
    r"|liability|on the hook|infring\w*|fair use|allowed to|permitted to|defam\w*|libel"
    r"|slander|do i have a case|have a case|would (?:i|we) win|come after (?:me|us)"
    r"|what does (?:this|the|that) (?:clause|section|term|contract|provision) mean"
    r"|mean for me|does (?:he|she|they) keep|contest|can (?:they|he|she|my \w+) (?:legally"
    r"|actually|really)? ?(?:make|force|fire|evict|come|keep|charge|sue|withhold|stop|ban)"
    r"|who(?: is|'?s| would be)? (?:pays|responsible|liable|at fault)|at fault"
    r"|copyright (?:problem|issue|violation|infringement|claim)|personally (?:liable|responsible)"
    r"|(?:clause|section|term|provision) (?:\d+ )?mean|get (?:in )?trouble|penalt(?:y|ies)"
    r"|can (?:they|he|she) (?:actually |legally |really )?do that"
    r"|own my|for me if|fur mich|was heisst das|gericht\w*|streit"
    r"|against the law|illegal|breach\w*|void|valid|rechtlich|legal(?:mente)?|demandar)\b"
)
_LEGAL_QUESTION = re.compile(
    r"\?|\b(?:can (?:i|we|they)|am i|are we|is (?:it|this|my)|does|do i)\b"
)

_SAFETY_TOPIC = re.compile(
    r"\b(?:"
    + _alt(
        "flood flooded flooding floods hochwasser storm storms stormy temporal tormenta "
        "tempete typhoon hurricane cyclone tornado monsoon earthquake quake aftershocks? "
        "tsunami unrest riots? rioting protests? coup curfew violence shooting war avalanche "
        "surf swell waves rip currents? undertow winds? gusts? gale thunderstorms? "
        "lightning supercell snowmelt wildfires? smoke heatwave blizzard whiteout volcano "
        "eruption landslide visibility summit backcountry icy ice alert warning crossings? "
        "frozen glacier crevasses? rockfall clashes strikes conflict fighting bombing attacks "
        "terror terrorism overflowing snowmelt rapids currents crossing erdbeben terremoto sismo seisme inondation alluvione tempesta"
    )
    + r")\b|red flags? on the beach|heat wave|river crossing|thin ice"
    r"|(?:everything|what'?s) going on|the situation"
)
_SAFETY_ASK = re.compile(
    r"\b(?:go|still|safe|safely|ok|okay|fine|doable|make it|yes or no|good idea|how close"
    r"|trotzdem|voy|vamos|paddle out|swim|ride it out|cancel or|or (?:go|wait|postpone|skip"
    r"|cancel|stay)|push back or|wait a day|risk|risky|should (?:i|we)|can (?:i|we)"
    r"|is it|are we|visit|alright|good to|anyway|cross|hike|climb|drive|sail|kayak|fly into|travel to|sicher|seguro|peligroso|dangereux|pericoloso)\b"
)


@dataclass(frozen=True)
class Finding:
    area: str  # clinical, investment, legal or safety


def asks_no_judgement(plain: str) -> bool:
    """True when `plain` is a command to do admin, or asks for a fact (a value, a number, a
    date, a contact): no licensed judgement, whatever the topic. The router checks the
    charters' own boundary patterns only when this is False."""
    return bool(_COMMAND.search(plain) or _NOT_JUDGEMENT.search(plain))


def asks_question(plain: str) -> bool:
    """True when `plain` asks something ("?", "should I", "X or Y", a question word first)."""
    return bool(_QUESTION.search(plain))


def names_licensed_topic(plain: str) -> bool:
    """True when `plain` names a licensed area's subject (a drug, a share, a clause, a storm):
    what a short licensed request carries and a bare follow-up ("is that ok?") does not."""
    return any(
        topic.search(plain)
        for topic in (_CLINICAL_TOPIC, _INVEST_TOPIC, _LEGAL_TOPIC_ASK, _SAFETY_TOPIC)
    )


@lru_cache(maxsize=256)  # the router asks, then the learned model's cues ask again
def detect(plain: str) -> Finding | None:
    """The licensed area whose judgement `plain` (cleaned, lowercase text) asks for, if any."""
    if asks_no_judgement(plain):
        return None
    if not _QUESTION.search(plain):
        return None
    if _SAFETY_TOPIC.search(plain) and _SAFETY_ASK.search(plain):
        return Finding("safety")
    if _LEGAL_TOPIC_ASK.search(plain) and _LEGAL_QUESTION.search(plain):
        return Finding("legal")
    if _CLINICAL_TOPIC.search(plain) and _CLINICAL_ASK.search(plain):
        return Finding("clinical")
    if _INVEST_TOPIC.search(plain) and _INVEST_ASK.search(plain):
        return Finding("investment")
    return None


# Domain-independent cues for the learned boundary model (issue 18): what a message asks for,
# not what it is about. Each is a binary feature of the model file's "cues" block.
_CUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("qmark", r"\?"),
        ("should_i", r"\b(?:should|shall|must) (?:i|we)\b|\bdo (?:i|we) (?:need|have) to\b"),
        ("ok_to", r"\b(?:ok|okay|fine|alright|safe|smart|wise|dumb|crazy|too late|too early) to\b"),
        (
            "is_it_safe",
            r"\b(?:is|are) (?:it|this|that|they|we|the \w+) (?:still )?"
            r"(?:safe|ok|okay|fine|normal|dangerous|bad|legal|allowed|risky)\b",
        ),
        ("safe_word", r"\b(?:safe|safely|unsafe|danger\w*|risk\w*|serious|worried|worry)\b"),
        (
            "x_or_y",
            r"\b\w+ or (?:\w+ ?){1,5}\W*$|\bor (?:not|nah|wait|skip|pass|hold|keep"
            r"|cancel|go|stay|sell|buy)\b",
        ),
        ("worth", r"\bworth (?:it|the|buying|doing|getting)\b|\b(?:good|bad) (?:idea|bet|move)\b"),
        (
            "your_read",
            r"\byour (?:read|take|view|opinion|call|gut|advice|recommendation)\b"
            r"|\bwhat do you think\b|\bdo you think\b|\bwould you\b|\bthoughts\b"
            r"|\bwhat would you\b|\bin your opinion\b|\bhonestly\b",
        ),
        ("can_i", r"\bcan (?:i|we) (?:still |just |safely )?\w+"),
        ("would_i", r"\b(?:would|will|could) (?:i|we|they|he|she|it) (?:win|lose|be|get|have)\b"),
        ("me_my", r"\b(?:me|my|i|i'm|im|i've)\b"),
        # an opinion on rights and duties asked as an ordinary question, in no area's words
        (
            "rights_q",
            r"\bcan (?:they|he|she|you|it|my \w+|the \w+) (?:even|really|actually|legally|just)\b"
            r"|\b(?:does|do|would|will) (?:that|this|it|they) (?:even )?(?:count|stand|stick|apply)\b"
            r"|\bon the hook\b|\b(?:would|could|will|do) (?:i|we) (?:win|lose|have grounds)\b"
            r"|\b(?:is|are) (?:that|this|it|they|he|she) (?:even |actually |really )?allowed\b"
            r"|\ballowed\W*$|\bcan (?:i|we) (?:make|force|get) (?:them|him|her|it)\b"
            r"|\b(?:do|must) (?:i|we) (?:really |actually |legally |still )?(?:have to|need to)"
            r" (?:pay|give|return|accept|let|hand|sign|tell)\b|\b(?:still )?owe (?:it|them|him|her)\b"
            r"|\bentitled to\b|\bmy rights\b|\bgrounds\b|\bgo after\b|\bexposed\b"
            r"|\bare they right\b|\bis (?:she|he|they) right\b|\bwho (?:wins|owns)\b",
        ),
        (
            "wh_first",
            r"^(?:is|are|am|can|could|should|would|will|does|do|did|what|which|who"
            r"|how|when|whether|any)\b",
        ),
        ("command", _COMMAND.pattern),
        ("not_judgement", _NOT_JUDGEMENT.pattern),
        ("topic_clinical", _CLINICAL_TOPIC.pattern),
        ("ask_clinical", _CLINICAL_ASK.pattern),
        ("topic_investment", _INVEST_TOPIC.pattern),
        ("ask_investment", _INVEST_ASK.pattern),
        ("legal", _LEGAL_TOPIC_ASK.pattern),
        ("topic_safety", _SAFETY_TOPIC.pattern),
        ("ask_safety", _SAFETY_ASK.pattern),
        ("question", _QUESTION.pattern),
    )
)
CUE_NAMES: tuple[str, ...] = (
    *(name for name, _ in _CUE_PATTERNS),
    *(f"rule_{a}" for a in ("clinical", "investment", "legal", "safety")),
    *(f"{a}&ask" for a in ("clinical", "investment", "legal", "safety")),
    "short",
    "long",
)


def cues(plain: str) -> list[str]:
    """The cues of CUE_NAMES that `plain` (cleaned text) shows."""
    found = [name for name, pattern in _CUE_PATTERNS if pattern.search(plain)]
    on = set(found)
    finding = detect(plain)
    if finding is not None:
        found.append(f"rule_{finding.area}")
    asks = "question" in on and "command" not in on
    for area, topic in (("clinical", "topic_clinical"), ("investment", "topic_investment"),
                        ("legal", "legal"), ("safety", "topic_safety")):  # fmt: skip
        if asks and topic in on:
            found.append(f"{area}&ask")
    n = len(plain.split())
    if n < 5:
        found.append("short")
    elif n > 25:
        found.append("long")
    return found
