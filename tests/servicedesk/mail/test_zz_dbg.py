import time, imaplib
from tests.servicedesk.mail.conftest import *  # noqa
def test_dbg(dovecot):
    for pw in ["wrong-ascii", "Wr0ng-Öäü"]:
        t = time.monotonic()
        c = imaplib.IMAP4(dovecot.host, dovecot.port)
        try:
            if pw.isascii():
                c.login(dovecot.user, pw)
            else:
                s = f"\0{dovecot.user}\0{pw}".encode()
                c.authenticate("PLAIN", lambda _: s)
        except Exception as e:
            print(pw, e, time.monotonic() - t)
    print(open(dovecot.log).read()[-1500:])
