"""The labs' math: optimizer races on 2-D surfaces, the LR range test and the loss landscape of a
run."""
