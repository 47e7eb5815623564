"""Local accounts: who is signed in, and whose work they may see.

- passwords.py  argon2 hashing (argon2-cffi)
- users.py      creating, listing and disabling people; the first admin
- sessions.py   sign-in sessions behind an HttpOnly cookie, with expiry
- throttle.py   refusing sign-ins after repeated failures
- sign_in.py    the sign-in itself: throttle, check, start a session
- viewer.py     the person behind a request, and which rows they see
- kie_keys.py   a person's own Kie key, encrypted at rest
"""
