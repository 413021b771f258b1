"""Code-review hosts: one sticky plan comment on a pull or merge request.

Sits beside the other adapters. ``eucora comment github|gitlab`` posts the Markdown plan
as one comment found again by its hidden marker and updated in place, so a PR carries one
plan however often CI runs. :class:`GitHubComments` speaks GitHub's REST API (issue
comments), :class:`GitLabNotes` GitLab's (merge-request notes); both page through the
existing comments and use httpx.
"""

from reconciler.forge._hosts import GitHubComments, GitLabNotes, StickyResult, post_sticky

__all__ = ["GitHubComments", "GitLabNotes", "StickyResult", "post_sticky"]
