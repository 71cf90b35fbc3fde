"""Can this person take a job in that country, and what would it take?

Pure code over the mobility knowledge base (`matching.knowledge.KnowledgeBase`, passed in):
for a person and a job's country it gives a verdict,

    eligible_now   nothing stands between the person and the job;
    after_steps    an ordered list of concrete steps: a permit, the recognition of a degree,
                   a professional licence, a language;
    not_eligible   no route the knowledge base knows of (the occupation is reserved for
                   nationals, the profession needs a degree the person does not have, or no
                   permit is open to the person's nationality),

with the reasons. It covers a person applying where they live, one who would move to
another country, and a host-community national. Steps and reasons are plain data (codes
and references into the knowledge base); `describe_step` and `describe_reason` turn them
into text in Spanish, Portuguese or English.

    facts      Person, Job (what is read), Step, Verdict (what is answered)
    rules      the rules, one named function each, and `assess`
    texts      steps and reasons in words
    barriers   which barriers block the strong matches, for the insights pages
    protection what protects a person without a regular status, before any job step
"""
from .barriers import BARRIER_GROUPS, BARRIERS, BLOCKING, barrier_group, count_barriers, group_left_out
from .facts import LEVELS, STEP_KINDS, VERDICTS, Job, Person, Step, Verdict, speaks
from .protection import Protection, protection
from .rules import assess, prerequisites_met, routes
from .texts import describe_left_out, describe_protection, describe_reason, describe_step, describe_steps

__all__ = [
    "BARRIERS",
    "BARRIER_GROUPS",
    "BLOCKING",
    "LEVELS",
    "STEP_KINDS",
    "VERDICTS",
    "Job",
    "Person",
    "Protection",
    "Step",
    "Verdict",
    "assess",
    "barrier_group",
    "count_barriers",
    "describe_left_out",
    "describe_protection",
    "describe_reason",
    "describe_step",
    "describe_steps",
    "group_left_out",
    "prerequisites_met",
    "protection",
    "routes",
    "speaks",
]
