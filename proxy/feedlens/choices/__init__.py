"""The choice watchdog: is the user's "personalised recommendation off" being honoured?"""
