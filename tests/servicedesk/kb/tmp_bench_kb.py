import random
import time

from steward.servicedesk.models import Article
from steward.servicedesk.services import kb
from tests.servicedesk.kb.conftest import admin_scope, scope_of

WORDS = "printer vpn drive mfa password outlook mailbox teams laptop screen backup server share folder network wifi phone reset licence install update windows office excel calendar the and to of a in for is on with".split()


def test_bench(world):
    rng = random.Random(1)
    rows = []
    for i in range(5000):
        body = " ".join(rng.choice(WORDS) for _ in range(300))
        rows.append(Article(provider=world.provider, client=rng.choice([None, world.client_a, world.client_b]),
                            title=" ".join(rng.choice(WORDS) for _ in range(4)) + f" {i}", body=body,
                            visibility=rng.choice(["public", "internal"])))
    Article.objects.bulk_create(rows)
    long_text = "My mapped network drive is not working after the windows update, please help. Outlook also asks for my password and the printer in the office shows an error since the laptop was reset"
    print("\nterms", kb.keywords(long_text))
    for label, scope in (("admin", admin_scope(world)), ("end_user", scope_of(world, "end_user_a"))):
        n = 10
        t = time.perf_counter()
        for _ in range(n):
            kb.suggest(scope, "Mapped network drive missing after the windows update", world.client_a.pk)
        t1 = (time.perf_counter() - t) / n
        t = time.perf_counter()
        for _ in range(n):
            kb.suggest(scope, long_text, world.client_a.pk)
        t3 = (time.perf_counter() - t) / n
        t = time.perf_counter()
        for _ in range(n):
            list(kb.search(scope, "network drive")[:20])
        t2 = (time.perf_counter() - t) / n
        print(f"{label}: suggest(5 words) {t1*1000:.0f} ms, suggest(12 words) {t3*1000:.0f} ms, search(2 words) {t2*1000:.0f} ms")
