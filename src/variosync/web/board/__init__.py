"""The explore page's board: a grid of cards (chart, table, aggregates, quality) that the user
adds, moves, resizes and closes, saved per user in the catalog.

``cards`` declares what a card is and which kinds exist; ``layout`` draws the board and keeps
its layout; one module per kind of card draws its content.
"""
