"""Add-friend tasks (主动拓客 / 批量加好友): phone lists imported, handed to staff accounts as paced
daily tasks, finished when the number shows up as a friend."""
