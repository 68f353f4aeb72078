"""Pure math behind the Lessons pages: each module computes what one lesson shows, so its
numbers can be tested exactly (mostly against torch.autograd) without a page."""
