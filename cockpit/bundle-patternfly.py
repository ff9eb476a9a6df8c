#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bundle the parts of PatternFly the page uses into OUTDIR/patternfly.css plus the fonts it
names. The tarball comes from the npm registry at build time (`npm pack`, the version pinned and
its sha512 checked), or from --tarball FILE (an offline build); nothing is fetched at run time.

usage: bundle-patternfly.py OUTDIR [--tarball FILE]
"""
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@patternfly/patternfly"
VERSION = "5.4.2"  # MIT; its licence goes into the bundle
INTEGRITY = ("sha512-+BaokNR8/AmTYMESxby9UtQXPGACg449BXQd0KejAvW/uGxlgO6mY1X1205DeBEHoK3e/"
             "vXkYXjvZPpv/tcxSA==")
# The npm tarball carries no licence file, only "license": "MIT" in its package.json.
LICENCE = f"""{PACKAGE} {VERSION}, https://github.com/patternfly/patternfly
Copyright (c) Red Hat, Inc. Licensed under the MIT licence:

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

The Red Hat Display, Text and Mono fonts in assets/fonts are under the SIL Open Font License 1.1
(https://github.com/RedHatOfficial/RedHatFont).
"""
CSS = ["patternfly-base.css"] + [f"components/{c}.css" for c in (
    "Alert/alert", "Button/button", "Form/form", "FormControl/form-control", "Table/table",
    "Table/table-grid", "Tabs/tabs", "Progress/progress", "Title/title", "ModalBox/modal-box")]


def fetch(tmp):
    out = subprocess.run(["npm", "pack", "--silent", f"{PACKAGE}@{VERSION}", "--pack-destination",
                          tmp], check=True, capture_output=True, text=True, timeout=300)
    return os.path.join(tmp, out.stdout.strip().splitlines()[-1])


def check(path):
    digest = hashlib.sha512(open(path, "rb").read()).digest()
    got = "sha512-" + base64.b64encode(digest).decode()
    if got != INTEGRITY:
        sys.exit(f"bundle-patternfly: {path}: integrity {got} is not the pinned {INTEGRITY}")


def main():
    outdir = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        tgz = sys.argv[3] if len(sys.argv) == 4 and sys.argv[2] == "--tarball" else fetch(tmp)
        check(tgz)
        with tarfile.open(tgz) as t:
            t.extractall(tmp, filter="data")
        pkg = os.path.join(tmp, "package")
        os.makedirs(outdir, exist_ok=True)
        parts = [f"/* {PACKAGE} {VERSION} (MIT, see patternfly-LICENSE.txt) */\n"]
        for name in CSS:
            parts.append(open(os.path.join(pkg, name), encoding="utf-8").read())
        css = "\n".join(parts)
        for url in sorted(set(re.findall(r'url\("?\./([^")]+)"?\)', css))):
            dst = os.path.join(outdir, url)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(os.path.join(pkg, url), dst)
        with open(os.path.join(outdir, "patternfly-LICENSE.txt"), "w", encoding="utf-8") as f:
            f.write(LICENCE)
        with open(os.path.join(outdir, "patternfly.css.tmp"), "w", encoding="utf-8") as f:
            f.write(css)
        os.replace(os.path.join(outdir, "patternfly.css.tmp"), os.path.join(outdir, "patternfly.css"))


if __name__ == "__main__":
    main()
