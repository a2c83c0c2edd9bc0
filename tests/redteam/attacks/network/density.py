"""TCP, UDP, DNS, IPv6 and the host's abstract unix socket: the child must reach none."""
_RT_PORT = int("@PORT@")  # the host's loopback listener


def _rt_network():
    import socket
    outcomes = {}
    def attempt(label, fn):
        try:
            fn()
            outcomes[label] = "CONNECTED"
        except Exception as exc:
            outcomes[label] = type(exc).__name__ + ": " + str(exc)[:80]
    def tcp(host, port):
        def go():
            s = socket.create_connection((host, port), timeout=2)
            s.sendall(b"@WTOKEN@")
            s.close()
        return go
    attempt("tcp 127.0.0.1:@PORT@ (the host's listener)", tcp("127.0.0.1", _RT_PORT))
    attempt("tcp 1.1.1.1:53", tcp("1.1.1.1", 53))
    attempt("tcp 8.8.8.8:443", tcp("8.8.8.8", 443))
    attempt("dns example.com", lambda: socket.getaddrinfo("example.com", 80))
    def udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"@WTOKEN@", ("8.8.8.8", 53))
        s.close()
    attempt("udp 8.8.8.8:53", udp)
    def abstract():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\0@ABSTRACT@")
        s.sendall(b"@WTOKEN@")
    attempt("abstract unix socket of the host", abstract)
    def ipv6():
        socket.create_connection(("::1", _RT_PORT), timeout=2).close()
    attempt("tcp [::1]:@PORT@", ipv6)
    return outcomes

def categorical_nll(logits, x):
    raise RuntimeError("NET " + _json.dumps(_rt_network()))
