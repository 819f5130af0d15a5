"""A QuickFIX (C++ engine, Python binding) initiator for the gateway tests, in its own process, driven over stdin.

    python fix_client.py --port P --store DIR --dictionary XML --sender PROPFIRM1

Commands, one JSON object a line: {"send": "D", "fields": [[11, "C1"], ...], "groups": [[267, 269, [[[269, "0"]],
[[269, "1"]]]]]}, {"logout": true}, {"logon": true}, {"drop": true} (the TCP connection, without a
Logout), {"stop": true}. Events on stdout, one JSON object a line:
{"event": "logon"}, {"event": "logout"}, {"event": "app", "fields": [[35, "8"], ...], "poss_dup": false} for every
application message, {"event": "reject", "fields": [...]} for a session-level Reject, {"event": "done"}.

Single-threaded: QuickFIX's socket work, its callbacks and our sends all run in the main thread between polls (the
binding crashes when sendToTarget runs inside a callback or races QuickFIX's own thread).
"""
from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
import time

import quickfix as fix

BEGIN, HUB = "FIX.4.4", "HUB"


def report(**event: object) -> None:
    print(json.dumps(event), flush=True)


def fields_of(message: fix.Message) -> list[list[object]]:
    return [[int(tag), value] for tag, _, value in (part.partition("=") for part in
                                                     message.toString().split("\x01") if part)]


class Client(fix.Application):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.session_id: fix.SessionID | None = None
        self.password: str | None = None

    def onCreate(self, session_id: fix.SessionID) -> None:  # noqa: N802 (QuickFIX's names)
        self.session_id = fix.SessionID(session_id.getBeginString().getValue(),
                                        session_id.getSenderCompID().getValue(),
                                        session_id.getTargetCompID().getValue())

    def onLogon(self, session_id: fix.SessionID) -> None:  # noqa: N802
        report(event="logon")

    def onLogout(self, session_id: fix.SessionID) -> None:  # noqa: N802
        report(event="logout")

    def toAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        if message.getHeader().getField(35) == "A" and self.password is not None:
            message.setField(fix.Username(session_id.getSenderCompID().getValue()))
            message.setField(fix.Password(self.password))

    def fromAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        if message.getHeader().getField(35) == "3":
            report(event="reject", fields=fields_of(message))

    def toApp(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        pass

    def fromApp(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        header = message.getHeader()
        poss_dup = header.isSetField(43) and header.getField(43) == "Y"
        report(event="app", fields=fields_of(message), poss_dup=poss_dup)


def build(command: dict) -> fix.Message:  # type: ignore[type-arg]
    message = fix.Message()
    message.getHeader().setField(35, command["send"])
    for tag, value in command.get("fields", []):
        message.setField(int(tag), str(value))
    for count_tag, delimiter, entries in command.get("groups", []):
        for entry in entries:
            group = fix.Group(int(count_tag), int(delimiter))
            for tag, value in entry:
                group.setField(int(tag), str(value))
            message.addGroup(group)
    return message


def settings_text(port: int, store: str, dictionary: str, sender: str, reset_on_logon: bool = False) -> str:
    return (f"[DEFAULT]\nConnectionType=initiator\nFileStorePath={store}\nFileLogPath={store}/log\n"
            f"ResetOnLogon={'Y' if reset_on_logon else 'N'}\n"
            f"NonStopSession=Y\nUseDataDictionary=Y\nDataDictionary={dictionary}\nHeartBtInt=5\n"
            f"ReconnectInterval=1\nValidateUserDefinedFields=N\n\n[SESSION]\nBeginString={BEGIN}\n"
            f"SenderCompID={sender}\nTargetCompID={HUB}\nSocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n")


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("--port", type=int, required=True)
    options.add_argument("--store", required=True)
    options.add_argument("--dictionary", required=True)
    options.add_argument("--sender", required=True)
    options.add_argument("--password", help="Password(554) on the Logon, Username(553) being the CompID")
    options.add_argument("--reset-on-logon", action="store_true", help="ResetSeqNumFlag=Y on every Logon")
    args = options.parse_args()
    config = f"{args.store}/client.cfg"
    with open(config, "w") as out:
        out.write(settings_text(args.port, args.store, args.dictionary, args.sender, args.reset_on_logon))
    settings = fix.SessionSettings(config)
    client = Client()
    client.password = args.password
    engine = fix.SocketInitiator(client, fix.FileStoreFactory(settings), settings, fix.FileLogFactory(settings))
    commands: queue.Queue[dict] = queue.Queue()  # type: ignore[type-arg]
    threading.Thread(target=lambda: [commands.put(json.loads(line)) for line in sys.stdin] + [commands.put(
        {"stop": True})], daemon=True).start()
    while True:
        engine.poll()
        try:
            command = commands.get_nowait()
        except queue.Empty:
            time.sleep(0.002)
            continue
        if "send" in command:
            fix.Session.sendToTarget(build(command), client.session_id)
        elif "logout" in command:
            fix.Session.lookupSession(client.session_id).logout()
        elif "logon" in command:
            fix.Session.lookupSession(client.session_id).logon()
        elif "drop" in command:  # the line goes: no Logout, and QuickFIX reconnects on its own
            fix.Session.lookupSession(client.session_id).disconnect()
        elif "stop" in command:
            break
    # The logout handshake runs here: engine.stop() would wait for it with nobody polling.
    fix.Session.lookupSession(client.session_id).logout()
    deadline = time.monotonic() + 3
    while engine.isLoggedOn() and time.monotonic() < deadline:
        engine.poll()
        time.sleep(0.002)
    engine.stop(True)
    report(event="done")


if __name__ == "__main__":
    main()
