"""The network tools (applets/net.py) against a fake cluster network: a Service that answers, one
without endpoints (refused), an address that routes nowhere (each tool's own timeout), NXDOMAIN."""

from __future__ import annotations

from shell_helpers import EMPTY_IP, OWN_IP, SERVICE_IP, FakeNet, Ran, sh

HOSTS = {"/etc/hosts": f"# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n{OWN_IP}\tweb-0\n"}


def test_nslookup() -> None:
    assert sh("nslookup web", net=FakeNet()) == Ran(
        0, f"Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb.default.svc.cluster.local\n"
           f"Address: {SERVICE_IP}\n\n", "", 0.0)
    missing = sh("nslookup nope", net=FakeNet())
    assert missing.code == 1 and missing.out.endswith(
        "** server can't find nope.default.svc.cluster.local: NXDOMAIN\n\n"
        "** server can't find nope.svc.cluster.local: NXDOMAIN\n\n"
        "** server can't find nope.cluster.local: NXDOMAIN\n\n** server can't find nope: NXDOMAIN\n\n")
    assert sh("nslookup", net=FakeNet()).err.startswith("BusyBox v1.36.1 multi-call binary.\n\nUsage: nslookup ")


def test_wget() -> None:
    net = FakeNet()
    assert sh("wget -qO- http://web/healthz", net=net) == Ran(0, "page /healthz\n", "", 0.0)
    assert net.connects == [(SERVICE_IP, 80, "GET", "/healthz")]
    assert sh("wget -O- web/missing", net=FakeNet()) == Ran(
        1, "", f"Connecting to web ({SERVICE_IP}:80)\nwget: server returned error: HTTP/1.1 404 Not Found\n", 0.0)
    assert sh("wget -q http://empty/", net=FakeNet()) == Ran(
        1, "", f"wget: can't connect to remote host ({EMPTY_IP}): Connection refused\n", 0.0)
    assert sh("wget -q -T 5 http://web:8080/", net=FakeNet()) == Ran(1, "", "wget: download timed out\n", 5.0)
    assert sh("wget -q http://nope/", net=FakeNet()) == Ran(1, "", "wget: bad address 'nope'\n", 0.0)
    files = dict(HOSTS)
    assert sh("wget -q http://localhost/index.html && cat index.html", files, net=FakeNet()).out == "page /index.html\n"


def test_curl() -> None:
    assert sh("curl -s http://web/", net=FakeNet()) == Ran(0, "page /\n", "", 0.0)
    assert sh("curl -I http://web/", net=FakeNet()).out == (
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\n\r\n")
    assert sh("curl -f http://web/missing", net=FakeNet()) == Ran(
        22, "", "curl: (22) The requested URL returned error: 404\n", 0.0)
    assert sh("curl http://empty/", net=FakeNet()).code == 7
    timed_out = sh("curl -m 3 http://web:9090/", net=FakeNet())
    assert timed_out == Ran(28, "", "curl: (28) Failed to connect to web port 9090 after 3000 ms: Couldn't connect to "
                                    "server\n", 3.0)
    assert sh("curl http://nope/", net=FakeNet()) == Ran(6, "", "curl: (6) Could not resolve host: nope\n", 0.0)
    assert sh("curl", net=FakeNet()).code == 2


def test_nc() -> None:
    assert sh("nc -zv web 80", net=FakeNet()) == Ran(0, "", f"web ({SERVICE_IP}:80) open\n", 0.0)
    assert sh("nc -z empty 80", net=FakeNet()) == Ran(1, "", f"nc: empty ({EMPTY_IP}:80): Connection refused\n", 0.0)
    assert sh("nc -z web 81", net=FakeNet()) == Ran(
        1, "", f"nc: web ({SERVICE_IP}:81): Connection timed out\n", 60.0)
    assert sh("nc -z nope 80", net=FakeNet()) == Ran(1, "", "nc: bad address 'nope'\n", 0.0)


def test_ping_answers_from_pods_not_from_cluster_ips() -> None:
    pod = sh("ping -c 2 pod", net=FakeNet())
    assert pod.code == 0 and pod.slept == 2.0
    assert "2 packets transmitted, 2 packets received, 0% packet loss" in pod.out
    service = sh("ping -c 3 web", net=FakeNet())
    assert service.code == 1 and service.slept == 3.0
    assert service.out == (f"PING web ({SERVICE_IP}): 56 data bytes\n\n--- web ping statistics ---\n"
                           "3 packets transmitted, 0 packets received, 100% packet loss\n")
    assert sh("ping -c 1 localhost", net=FakeNet()).out.startswith(f"PING localhost ({OWN_IP})")


def test_without_a_network_nothing_resolves() -> None:
    assert sh("nc web 80").code == 1 and sh("ping web").code == 1 and sh("nslookup web").code == 1
    assert sh("wget -q http://web-0/", dict(HOSTS)) == Ran(1, "", "wget: bad address 'web-0'\n", 0.0)
