"""Share of the corpus's wrong answers whose check message names the mistake (contains the words).

    python tests/corpus/measure.py [CHECKS_ROOT]

CHECKS_ROOT: a checkout whose ``course_utils`` is measured (default: this one), e.g. the main branch before
a change. Lab 03's most_confident_mistakes is left out: its argument order changed, so older checks call
the corpus's answers with the arguments swapped.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LEFT_OUT = {("lab03", "most_confident_mistakes")}


def main(root: Path) -> None:
    sys.path[:0] = [str(root), str(HERE.parent)]
    from course_utils.checks import evaluate, questions
    from course_utils.manifest import course

    total = named = 0
    for lab in (lab for lab in course().lab_ids if (HERE / f"{lab}.py").exists()):
        corpus = importlib.import_module(f"corpus.{lab}")
        by_name = {q.name: q for q in questions(lab)}
        lab_total = lab_named = 0
        for name, answer, words in corpus.WRONG:
            if (lab, name) in LEFT_OUT or name not in by_name:
                continue
            passed, message = evaluate(by_name[name], answer)
            lab_total += 1
            lab_named += (not passed) and all(word in message for word in words)
        print(f"{lab}: {lab_named}/{lab_total} = {lab_named / lab_total:.0%}")
        total, named = total + lab_total, named + lab_named
    print(f"all: {named}/{total} = {named / total:.0%}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE.parents[1])
