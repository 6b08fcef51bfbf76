#!/usr/bin/env python3
# restic_testkey.py REPO PASSWORD_FILE - re-wraps the master key of a local
# restic repository under cheap scrypt parameters (N=1024, r=8, p=1), as
# restic's own test suite does. restic init calibrates scrypt to about
# half a second of CPU, and every restic command pays it again to open the
# key; the tests run dozens. The repository, its master key and its data
# stay as restic wrote them; a wrong password is still refused.
# Key file format (restic's design document, "Keys, Encryption and MAC"):
# JSON with the scrypt parameters, a salt and data = IV || AES-256-CTR
# ciphertext of the master key || Poly1305-AES MAC; scrypt yields 64 bytes:
# the AES key, then the MAC key k || r. The file is named by its SHA-256.
import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.poly1305 import Poly1305

N, R, P = 1024, 8, 1


def user_key(password, salt, n, r, p):
    k = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + (1 << 20), dklen=64)
    return k[:32], k[32:48], k[48:64]  # AES key, MAC k, MAC r


def mac(mk, mr, iv, ct):
    enc = Cipher(algorithms.AES(mk), modes.ECB()).encryptor()
    return Poly1305.generate_tag(mr + enc.update(iv) + enc.finalize(), ct)


def ctr(key, iv, data):
    c = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return c.update(data) + c.finalize()


def main(repo, password_file):
    password = open(password_file, 'rb').read().rstrip(b'\n')
    keys = os.path.join(repo, 'keys')
    for name in os.listdir(keys):
        path = os.path.join(keys, name)
        k = json.load(open(path))
        data = base64.b64decode(k['data'])
        iv, ct, tag = data[:16], data[16:-16], data[-16:]
        ek, mk, mr = user_key(password, base64.b64decode(k['salt']), k['N'], k['r'], k['p'])
        if mac(mk, mr, iv, ct) != tag:
            sys.exit(f'{path}: wrong password or not a restic key')
        master = ctr(ek, iv, ct)
        salt, iv = os.urandom(64), os.urandom(16)
        ek, mk, mr = user_key(password, salt, N, R, P)
        ct = ctr(ek, iv, master)
        k.update(N=N, r=R, p=P, salt=base64.b64encode(salt).decode(),
                 data=base64.b64encode(iv + ct + mac(mk, mr, iv, ct)).decode())
        buf = json.dumps(k).encode()
        new = os.path.join(keys, hashlib.sha256(buf).hexdigest())
        with open(new, 'wb') as f:
            f.write(buf)
        os.chmod(new, os.stat(path).st_mode & 0o777)
        os.unlink(path)


if __name__ == '__main__':
    main(*sys.argv[1:3])
