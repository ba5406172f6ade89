"""The file mitmproxy loads as a script: `mitmdump -s "$(feedlens addon-path)"`.

mitmproxy executes a script by path, outside its package, so this file uses absolute imports
only and defines the module-level `addons` list mitmproxy looks for.
"""

from feedlens import features
from feedlens.addon import FeedLens

features.install()  # before the add-on checks the chosen profile, which may have `limits:`
addons = [FeedLens()]
